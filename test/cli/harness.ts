/**
 * Runs the real `bluegreen` CLI (`node --import tsx bin/bluegreen.ts`) as a child process against a moto server, and reads what
 * it left behind: weights through the fixture's raw DescribeRules, the release record through DynamoDB, the
 * manifest file's bytes.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { AwsClients, DynamoReleaseStateStore } from '../../lib/aws';
import { CliIo, main } from '../../lib/cli';
import { ReleaseState, VersionedState } from '../../lib/release';
import { ServiceFixture } from '../integration/fixture';

/** The CLI entry point, from source: `npm test` needs no build (test/cli/bundle.test.ts runs the bundle). */
export const BIN = path.resolve(__dirname, '../../bin/bluegreen.ts');

/**
 * Node's arguments that make it run TypeScript, as `npm run bluegreen` does. tsx by its path, since `--import tsx`
 * resolves from the working directory, a temporary one in these tests.
 */
export const TSX_ARGS = ['--import', pathToFileURL(require.resolve('tsx')).href];

/** Node's arguments that run `BIN`. */
export const CLI_ARGS = [...TSX_ARGS, BIN];

/** How a CLI run ended. */
export interface CliRun {
  /** Exit code; null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run in the background. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  readonly done: Promise<CliRun>;
}

/** Options of a CLI run. */
export interface CliOptions {
  /** Environment: `server.childEnv()`. */
  readonly env: NodeJS.ProcessEnv;
  /** Working directory (the default manifest is `releases/<service>.json` under it). */
  readonly cwd: string;
}

/** Start the CLI in the background. */
export function startCli(args: string[], options: CliOptions): RunningCli {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, done };
}

/** Run the CLI to the end. */
export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Poll `probe` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Wait until the production weights read `green` % on green (raw DescribeRules). */
export function waitForGreen(fixture: ServiceFixture, green: number, timeoutMs?: number): Promise<true> {
  return waitFor(`green at ${green} %`, async () => ((await fixture.weights()).green === green ? true : undefined), timeoutMs);
}

/** The manifest of `service` the tests start from: blue pinned and live, green following a bake. */
export function manifestText(service: string, blue = { image: 'ami-12c6146b', mode: 'active' }, green = { image: 'baked:web', mode: 'ready' }): string {
  return `${JSON.stringify({ schemaVersion: 1, service, blue, green }, undefined, 2)}\n`;
}

const workspaces: string[] = [];

/** A fresh working directory with `releases/<service>.json` (unless `manifest` is null). */
export function workspace(service: string, manifest: string | null = manifestText(service)): { dir: string; manifestPath: string; manifest(): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bluegreen-cli-${service}-`));
  workspaces.push(dir);
  const manifestPath = path.join(dir, 'releases', `${service}.json`);
  if (manifest !== null) {
    fs.mkdirSync(path.dirname(manifestPath), { recursive: true });
    fs.writeFileSync(manifestPath, manifest);
  }
  return { dir, manifestPath, manifest: () => fs.readFileSync(manifestPath, 'utf8') };
}

/** Delete the working directories `workspace` made (call in `afterAll`). */
export function removeWorkspaces(): void {
  for (const dir of workspaces.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The release record in DynamoDB. */
export function stateStore(fixture: ServiceFixture): DynamoReleaseStateStore {
  return DynamoReleaseStateStore.fromClients(fixture.clients, fixture.descriptor.releaseStateTable, fixture.service);
}

/** The release record, or undefined. */
export async function releaseState(fixture: ServiceFixture): Promise<ReleaseState | undefined> {
  return (await stateStore(fixture).read())?.state;
}

/**
 * Age the release record's heartbeat by `ms`, as if that much time had passed since the process driving it died.
 * The lease is max(2 × bake, 60 s) (lib/release/lease.ts): a test cannot wait that long.
 */
export async function ageHeartbeat(fixture: ServiceFixture, ms: number): Promise<VersionedState> {
  const store = stateStore(fixture);
  const current = await store.read();
  if (!current) throw new Error('no release record to age');
  const state = { ...current.state, updatedAt: current.state.updatedAt - ms };
  const version = await store.write(state, current.version);
  return { state, version };
}

/** `--json` output: one object per line. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Arguments that make a release finish in a few seconds. */
export const FAST = ['--bake', '1s', '--poll', '200ms'];

/** What `main` printed and returned when run in this process. */
export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI's `main` in this process (no TTY, empty env) with the given clients, collecting its output. */
export async function runMain(argv: string[], cwd: string, clients: AwsClients, extra: Partial<CliIo> = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    isTTY: false,
    env: {},
    cwd,
    clients,
    ...extra,
  });
  return { code, stdout, stderr };
}
