/**
 * The bundle users run (scripts/bundle-cli.mjs, `npm run build:cli`), built into a temporary directory: which SDK
 * clients each path of it can load, read from esbuild's metafile, and the bundled CLI run against moto.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { cliBundleOptions, ROOT } from '../../scripts/bundle-cli.mjs';
import { createServiceFixture, FIXTURE_AMI } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { jsonLines, releaseState, removeWorkspaces, workspace } from './harness';

const server = useMotoServer();
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bluegreen-bundle-'));
const entry = path.join(outdir, 'bluegreen.mjs');
let outputs: Record<string, esbuild.Metafile['outputs'][string]>;
let inputs: esbuild.Metafile['inputs'];

beforeAll(async () => {
  const result = await esbuild.build(cliBundleOptions(outdir) as esbuild.BuildOptions & { metafile: true });
  // Keys relative to the project root, as esbuild writes them, made absolute.
  inputs = result.metafile.inputs;
  outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, out]) => [path.resolve(ROOT as string, file), out]));
  await createServiceFixture({ service: 'bundle-warmup' });
});

afterAll(() => {
  removeWorkspaces();
  fs.rmSync(outdir, { recursive: true, force: true });
});

/** The SDK client packages in `files` and every chunk they import statically (what loading them loads). */
function clientPackagesLoadedWith(...files: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !outputs[file]) return;
    seen.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement') visit(path.resolve(ROOT as string, i.path));
  };
  files.forEach(visit);
  const inputs = [...seen].flatMap((f) => Object.keys(outputs[f].inputs));
  return [...new Set(inputs.map((i) => /@aws-sdk\/(client-[^/]+)\//.exec(i)?.[1]).filter((p): p is string => p !== undefined))].sort();
}

/** The chunk whose entry point is `source` (a module the CLI imports with `await import()`). */
function chunkOf(source: string): string {
  const found = Object.entries(outputs).find(([, out]) => out.entryPoint === source);
  if (!found) throw new Error(`no chunk for ${source}`);
  return found[0];
}

function run(args: string[], cwd: string) {
  return promisify(execFile)(process.execPath, [entry, ...args], { cwd, env: server().childEnv() }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('the bundled CLI', () => {
  it('starts with no SDK client: help, --version and bad input load none', () => {
    expect(clientPackagesLoadedWith(entry)).toEqual([]);
  });

  it('loads for a rollback only the SSM, ELBv2 and DynamoDB clients; alarms, capacity and EC2 only when called', () => {
    const rollback = [entry, chunkOf('lib/aws/region.ts'), chunkOf('lib/aws/descriptor.ts'), chunkOf('lib/aws/create-aws-ports.ts')];
    expect(clientPackagesLoadedWith(...rollback)).toEqual(['client-dynamodb', 'client-elastic-load-balancing-v2', 'client-ssm']);
    expect(clientPackagesLoadedWith(chunkOf('lib/aws/cloudwatch-alarm-gate.ts'))).toEqual(['client-cloudwatch']);
    expect(clientPackagesLoadedWith(chunkOf('lib/aws/auto-scaling-fleet-capacity.ts'))).toEqual(['client-auto-scaling']);
    expect(clientPackagesLoadedWith(chunkOf('lib/aws/ami-retention.ts'))).toEqual(['client-ec2']);
   });

  it("loads Route 53's client only with its own chunk, which only dr status reaches (the DR ports load it on first call)", () => {
    expect(clientPackagesLoadedWith(chunkOf('lib/aws/dr/create-dr-ports.ts'))).not.toContain('client-route-53');
    expect(clientPackagesLoadedWith(chunkOf('lib/aws/dr/route53-status-view.ts'))).toEqual(['client-route-53']);
  });

  it('imports with import() only ES modules: of a CommonJS module, the bundle would get only the default export', () => {
    const dynamic = Object.values(inputs).flatMap((input) => input.imports.filter((i) => i.kind === 'dynamic-import' && !i.external));
    expect(dynamic.length).toBeGreaterThan(0);
    expect(dynamic.filter((i) => inputs[i.path]?.format !== 'esm').map((i) => i.path)).toEqual([]);
  });

  it('prints the version it was built with, and help', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT as string, 'package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'], outdir)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await run(['--help'], outdir)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^bluegreen: release blue\/green/) });
    expect(await run(['promote', 'web', '--color', 'red'], outdir)).toEqual({ code: 2, stdout: '', stderr: `bluegreen: --color: must be 'blue' or 'green'. Got "red".\n` });
  });

  it('reads credentials from a named profile (--profile)', async () => {
    // GIVEN a profile with moto's keys, and none in the environment
    const f = await createServiceFixture({ service: 'bundle-profile' });
    const home = fs.mkdtempSync(path.join(outdir, 'home-'));
    fs.writeFileSync(path.join(home, 'credentials'), '[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    const env: NodeJS.ProcessEnv = { ...server().childEnv(), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'), AWS_CONFIG_FILE: path.join(home, 'config') };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete env[name];
    // WHEN
    const run = await promisify(execFile)(process.execPath, [entry, 'status', f.service, '--profile', 'ops'], { cwd: home, env });
    // THEN
    expect(run.stdout).toMatch(/^bundle-profile \(eu-west-1\): blue is live\n/);
  });

  it('runs every kind of command against moto: stage, release, status, rollback, sync-manifest', async () => {
    // GIVEN
    const f = await createServiceFixture({ service: 'bundle-run' });
    const ws = workspace(f.service);

    // WHEN
    const stage = await run(['stage', f.service, '--image', FIXTURE_AMI, '--dry-run'], ws.dir);
    const release = await run(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir);
    const status = await run(['status', f.service, '--json'], ws.dir);
    const rollback = await run(['rollback', f.service, '--reason', 'bundle test'], ws.dir);
    const sync = await run(['sync-manifest', f.service], ws.dir);

    // THEN
    expect(stage).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Dry run: would write releases\/bundle-run\.json/) });
    expect(release).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(status.stdout)[0]).toMatchObject({ kind: 'status', live: 'green', colours: { blue: { role: 'idle', firingAlarms: [] } } });
    expect(rollback).toMatchObject({ code: 0, stderr: '' });
    expect(sync).toMatchObject({ code: 0, stdout: 'releases/bundle-run.json is in step with AWS (blue active, green ready).\n' });
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await releaseState(f)).toMatchObject({ status: 'rolled-back', reason: 'bundle test' });
  });
});
