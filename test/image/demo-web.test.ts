import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { BakedImage, ImageComponent } from '../../constructs';
import { featureFlagAgentPath } from '../../lib/contract';
import { DEMO_WEB_FLAG, DEMO_WEB_PORT, DEMO_WEB_SERVICE, demoWebComponent, demoWebImageComponents } from '../../lib/demo-web-image';
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

/** A stand-in for the AppConfig Agent on loopback: `answer` decides each reply; `paths` records what was asked. */
async function fakeAgent(answer: (res: http.ServerResponse) => void): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    answer(res);
  });
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      srv.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, paths, close };
}

function json(status: number, body: unknown) {
  return (res: http.ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

interface FlagView {
  enabled: boolean;
  source: 'agent' | 'default';
  reason?: string;
}

describe('demo web feature flag', () => {
  let server: ChildProcess | undefined;
  let agent: Awaited<ReturnType<typeof fakeAgent>> | undefined;
  afterEach(async () => {
    server?.kill();
    server = undefined;
    await agent?.close();
    agent = undefined;
  });

  /** GIVEN the demo web, as its unit file runs it, pointed at `agentUrl`. */
  async function startWeb(agentUrl: string): Promise<string> {
    const port = await freePort();
    const env = { ...process.env, PORT: String(port), BLUEGREEN_SERVICE: DEMO_WEB_SERVICE, APPCONFIG_AGENT_URL: agentUrl };
    server = spawn('python3', [SERVER], { env, stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/health`);
    return url;
  }

  async function flags(url: string): Promise<{ flags: Record<string, FlagView>; ms: number }> {
    const started = Date.now();
    const res = await fetch(`${url}/flags`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json']);
    const body = (await res.json()) as Record<string, FlagView>;
    return { flags: body, ms: Date.now() - started };
  }

  it.each([true, false])('serves the agent value enabled=%s, asking the agent path of the contract', async (enabled) => {
    // GIVEN an agent serving the flag
    agent = await fakeAgent(json(200, { enabled }));
    const url = await startWeb(agent.url);
    // WHEN
    const { flags: body } = await flags(url);
    // THEN
    expect(body).toEqual({ [DEMO_WEB_FLAG]: { enabled, source: 'agent' } });
    expect(agent.paths).toEqual([featureFlagAgentPath(DEMO_WEB_SERVICE, DEMO_WEB_FLAG)]);
  });

  it('falls back to the default (off) and says so when the agent is down', async () => {
    // GIVEN nothing listening where the agent should be
    const url = await startWeb(`http://127.0.0.1:${await freePort()}`);
    // WHEN
    const { flags: body } = await flags(url);
    // THEN
    expect(body[DEMO_WEB_FLAG]).toEqual({ enabled: false, source: 'default', reason: expect.stringMatching(/^agent unavailable: .*(refused|Errno)/) });
  });

  it('falls back to the default within the timeout when the agent is slow', async () => {
    // GIVEN an agent that answers after 5 s
    agent = await fakeAgent((res) => setTimeout(() => json(200, { enabled: true })(res), 5000));
    const url = await startWeb(agent.url);
    // WHEN
    const { flags: body, ms } = await flags(url);
    // THEN the page did not wait for the agent
    expect(body[DEMO_WEB_FLAG]).toEqual({ enabled: false, source: 'default', reason: 'agent did not answer within 200 ms' });
    expect(ms).toBeLessThan(2500);
  });

  it('falls back to the default when the agent knows no such flag or has nothing deployed', async () => {
    // GIVEN an agent refusing the request (unknown flag, or no deployment yet)
    agent = await fakeAgent(json(404, { Message: 'not found' }));
    const url = await startWeb(agent.url);
    // WHEN
    const refused = await flags(url);
    // THEN
    expect(refused.flags[DEMO_WEB_FLAG]).toEqual({ enabled: false, source: 'default', reason: 'agent answered HTTP 404' });
  });

  it('falls back to the default when the agent answers without a boolean enabled', async () => {
    // GIVEN an agent answering an empty object
    agent = await fakeAgent(json(200, {}));
    const url = await startWeb(agent.url);
    // WHEN
    const { flags: body } = await flags(url);
    // THEN
    expect(body[DEMO_WEB_FLAG]).toEqual({ enabled: false, source: 'default', reason: expect.stringContaining("without a boolean 'enabled'") });
  });

  it('knows its service from the unit file, and bakes the agent before the service, polling every 15 s without a prefetch', () => {
    // GIVEN / WHEN
    const unit = fs.readFileSync(path.join(ROOT, 'lib', 'demo-web', 'web.service'), 'utf8');
    const components = demoWebImageComponents();
    // THEN
    expect(unit).toContain(`Environment=BLUEGREEN_SERVICE=${DEMO_WEB_SERVICE}\n`);
    expect(unit).toContain('Environment=APPCONFIG_AGENT_URL=http://localhost:2772\n');
    expect(fs.readFileSync(SERVER, 'utf8')).toContain(`FLAG_DEFAULTS = {"${DEMO_WEB_FLAG}": False}`);
    expect(components.map((c) => c.name)).toEqual([ImageComponent.APPCONFIG_AGENT_NAME, 'demo-web']);
    const agentDoc = parseYaml(components[0].documents[0].data) as Doc;
    const settings = agentDoc.phases[0].steps.find((s) => s.action === 'CreateFile')!.inputs[0].content;
    expect(settings).toBe('POLL_INTERVAL=15\n');
  });
});
