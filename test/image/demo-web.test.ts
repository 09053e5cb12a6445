import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { BakedImage } from '../../constructs';
import { DEMO_WEB_PORT, demoWebComponent } from '../../lib/demo-web-image';
import { buildReferenceApp } from '../../lib/reference-app';
import { parseYaml, resourcesOfType } from './fixtures';
import { synthViolations } from '../helpers/nag-report';

const ROOT = path.join(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'lib', 'demo-web', 'server.py');

interface Doc {
  phases: Array<{ name: string; steps: Array<{ action: string; inputs: { commands?: string[] } & Array<{ path: string; content: string }> }> }>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} never answered`);
}

/** Synthesize the reference app with cdk.json's context into a temporary folder. */
function synthReferenceApp() {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ref-image-'));
  // Metadata as the CLI writes it: cfn-lint recognises CDK templates by it and relaxes CDK-specific checks.
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true } });
  const { web } = buildReferenceApp({ app });
  const violations = synthViolations(app).map((v) => v.ruleName);
  return { web, outdir, violations };
}

describe('demo web service', () => {
  let server: ChildProcess | undefined;
  afterEach(() => server?.kill());

  it('answers /health with ok and /version with the identity the bake wrote', async () => {
    // GIVEN an identity file as the image's identity component writes it
    const identity = '{"image":"web","version":"1.2.3","fingerprint":"baked:web@1.2.3"}\n';
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'demo-web-')), 'image.json');
    fs.writeFileSync(file, identity);
    const port = await freePort();
    // WHEN the server runs as the unit file runs it
    server = spawn('python3', [SERVER], { env: { ...process.env, PORT: String(port), BLUEGREEN_IMAGE_FILE: file }, stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/health`);
    // THEN
    const health = await fetch(`${url}/health`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    const version = await fetch(`${url}/version`);
    expect(version.headers.get('content-type')).toBe('application/json');
    expect(await version.text()).toBe(identity);
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });

  it('is baked from its files, enabled in systemd, and tested on a fresh instance against the identity file', () => {
    // GIVEN / WHEN
    const [build, test] = demoWebComponent().documents;
    const buildDoc = parseYaml(build.data) as Doc;
    const testDoc = parseYaml(test.data) as Doc;
    // THEN the files are embedded verbatim
    const files = buildDoc.phases[0].steps.find((s) => s.action === 'CreateFile')!.inputs;
    expect(files.map((f) => [f.path, f.content])).toEqual([
      ['/opt/web/server.py', fs.readFileSync(SERVER, 'utf8')],
      ['/etc/systemd/system/web.service', fs.readFileSync(path.join(ROOT, 'lib', 'demo-web', 'web.service'), 'utf8')],
    ]);
    expect(fs.readFileSync(path.join(ROOT, 'lib', 'demo-web', 'web.service'), 'utf8')).toContain(`PORT=${DEMO_WEB_PORT}`);
    expect(buildDoc.phases[0].steps.at(-1)!.inputs.commands).toContain('systemctl enable web.service');
    // and the test stage checks both endpoints, /version against the image's identity file
    expect(test.testStage).toBe(true);
    const commands = testDoc.phases[0].steps[0].inputs.commands!.join('\n');
    expect(commands).toContain(`test "$(curl -fsS http://127.0.0.1:${DEMO_WEB_PORT}/health)" = ok`);
    expect(commands).toContain(`test "$(curl -fsS http://127.0.0.1:${DEMO_WEB_PORT}/version)" = "$(cat ${BakedImage.IDENTITY_FILE})"`);
  });

  it('runs on both colours of the reference app, distributed to eu-central-1, with cdk-nag and cfn-lint clean', () => {
    // GIVEN / WHEN
    const { web, outdir, violations } = synthReferenceApp();
    const template = Template.fromStack(web);
    // THEN both launch templates take the bake's AMI id
    const imageId = { 'Fn::GetAtt': [web.getLogicalId(web.webImage.image), 'ImageId'] };
    const lts = Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate'));
    expect(lts.map((lt) => (lt.Properties?.LaunchTemplateData as { ImageId: unknown }).ImageId)).toEqual([imageId, imageId]);
    expect(web.webImage.regions).toEqual(['eu-west-1', 'eu-central-1']);
    // and a deploy the release guard refuses never starts a bake
    const guard = web.getLogicalId(web.service.releaseGuard.resource.node.defaultChild as CfnResource);
    template.hasResource('AWS::ImageBuilder::Image', { DependsOn: Match.arrayWith([guard]) });
    // and there is nothing to acknowledge or fix
    expect(violations).toEqual([]);
    const lint = spawnSync('cfn-lint', [path.join(outdir, 'BlueGreenWeb.template.json')], { cwd: ROOT, encoding: 'utf8' });
    fs.rmSync(outdir, { recursive: true, force: true });
    if (lint.error) return; // cfn-lint is not installed here
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
