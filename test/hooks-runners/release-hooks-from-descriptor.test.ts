/**
 * releaseHooksFromDescriptor (what the CLI gives the engine) and the auto-rollback's on-rollback hooks.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { DEFAULT_COMMAND_TIMEOUT_MS, releaseHooksFromDescriptor } from '../../lib/aws/hooks';
import { ReleaseHookDescriptor, ServiceDescriptor } from '../../lib/contract';
import { onRollbackHooks } from '../../lib/lambda/auto-rollback/hooks';
import { eventOf } from './events';

const colour = (name: string, image: string) => ({
  targetGroupArn: `arn:tg/${name}`,
  targetGroupFullName: `targetgroup/${name}/1`,
  autoScalingGroupName: `web-${name}`,
  launchTemplateId: `lt-${name}`,
  image,
  imageId: 'ami-1',
  mode: 'active',
  alarms: { gate: `web-${name}-gate` },
});

function descriptorWith(releaseHooks?: ReleaseHookDescriptor[]): ServiceDescriptor {
  return {
    schemaVersion: 1,
    service: 'web',
    region: 'eu-west-1',
    stackName: 'Web',
    loadBalancer: { arn: 'arn:lb', fullName: 'app/web/1', dnsName: 'web.example' },
    production: { listenerArn: 'arn:l/prod', ruleArn: 'arn:r/prod', port: 80, protocol: 'HTTP' },
    test: { listenerArn: 'arn:l/test', ruleArn: 'arn:r/test', port: 8080, protocol: 'HTTP' },
    topicArn: 'arn:topic',
    routingIdentity: 'internet-facing;vpc="vpc-1";targets=HTTP:8080',
    releaseStateTable: 'state',
    capacity: { min: 2, max: 3, desired: 2 },
    colours: { blue: colour('blue', 'ssm:/web/ami'), green: colour('green', 'baked:web@4') },
    ...(releaseHooks ? { releaseHooks } : {}),
  };
}

const declared = (name: string, point: ReleaseHookDescriptor['point'], kind: ReleaseHookDescriptor['kind'], target: string, overrides: Partial<ReleaseHookDescriptor> = {}) => ({
  name,
  point,
  kind,
  target,
  timeoutSeconds: 60,
  retries: 2,
  contract: false,
  ...overrides,
});

const FN = 'arn:aws:lambda:eu-west-1:111111111111:function:web-migrate';

/** Clients that must not be asked for anything: no Lambda hook runs in these tests. */
const noClients = new Proxy({} as AwsClients, {
  get: () => {
    throw new Error('no AWS client expected');
  },
});

describe('releaseHooksFromDescriptor', () => {
  it("maps the descriptor's hooks (timeouts in ms) and the colours' images", () => {
    // GIVEN a service with a Lambda expand migration, a webhook analysis and a contract migration
    const descriptor = descriptorWith([
      declared('expand', 'pre-release', 'lambda', FN, { timeoutSeconds: 900, retries: 0 }),
      declared('analysis', 'step', 'webhook', 'https://checks.example/analyse'),
      declared('contract', 'post-promotion', 'lambda', FN, { contract: true }),
    ]);

    // WHEN the CLI builds the release hooks without commands
    const hooks = releaseHooksFromDescriptor(descriptor, { clients: noClients });

    // THEN the engine gets each hook without its target, and the images
    expect(hooks.hooks).toEqual([
      { name: 'expand', point: 'pre-release', kind: 'lambda', timeoutMs: 900_000, retries: 0, contract: false },
      { name: 'analysis', point: 'step', kind: 'webhook', timeoutMs: 60_000, retries: 2, contract: false },
      { name: 'contract', point: 'post-promotion', kind: 'lambda', timeoutMs: 60_000, retries: 2, contract: true },
    ]);
    expect(hooks.images).toEqual({ blue: 'ssm:/web/ami', green: 'baked:web@4' });
    expect(JSON.stringify(hooks.hooks)).not.toContain('https://');
  });

  it('adds a command hook cmd-<point> for each command given, and cmd-contract as a contract hook', () => {
    // WHEN the CLI was given commands for three points and the contract
    const hooks = releaseHooksFromDescriptor(descriptorWith(), {
      clients: noClients,
      commands: { 'pre-release': './migrate expand', step: './analyse', 'on-rollback': '', contract: './migrate contract' },
    });

    // THEN each non-empty one is a command hook with the default 30-minute timeout and no retries
    const command = { kind: 'command', timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS, retries: 0 };
    expect(hooks.hooks).toEqual([
      { name: 'cmd-pre-release', point: 'pre-release', contract: false, ...command },
      { name: 'cmd-step', point: 'step', contract: false, ...command },
      { name: 'cmd-contract', point: 'post-promotion', contract: true, ...command },
    ]);
    expect(DEFAULT_COMMAND_TIMEOUT_MS).toBe(30 * 60_000);
  });

  it('takes the command timeout it is given', () => {
    const hooks = releaseHooksFromDescriptor(descriptorWith(), { clients: noClients, commands: { step: 'true' }, commandTimeoutMs: 5_000 });
    expect(hooks.hooks[0].timeoutMs).toBe(5_000);
  });

  it('refuses a declared hook that has the name of a command hook it was given', () => {
    const descriptor = descriptorWith([declared('cmd-step', 'step', 'webhook', 'https://checks.example/')]);
    expect(() => releaseHooksFromDescriptor(descriptor, { clients: noClients, commands: { step: 'true' } })).toThrow(/named cmd-step.*--step-cmd/);
    // Without that command, the declared hook is just a hook
    expect(releaseHooksFromDescriptor(descriptor, { clients: noClients }).hooks.map((h) => h.name)).toEqual(['cmd-step']);
  });

  it('runs a command hook, streaming its output, through the runner it returns', async () => {
    const lines: string[] = [];
    const hooks = releaseHooksFromDescriptor(descriptorWith(), { clients: noClients, commands: { step: 'echo "$BLUEGREEN_HOOK"; exit 3' }, onOutput: (l) => lines.push(`${l.hook}: ${l.line}`) });
    const [hook] = hooks.hooks;
    expect(await hooks.runner.run(hook, eventOf(hook), 3_000)).toEqual({ verdict: 'inconclusive', detail: 'exit 3 (inconclusive)' });
    expect(lines).toEqual(['cmd-step: cmd-step']);
  });

  it('refuses to run a kind it has no hook of', async () => {
    const hooks = releaseHooksFromDescriptor(descriptorWith(), { clients: noClients });
    const cmd = { name: 'cmd-step', point: 'step' as const, kind: 'command' as const, timeoutMs: 1_000, retries: 0, contract: false };
    await expect(hooks.runner.run(cmd, eventOf(cmd), 1_000)).rejects.toThrow(/kind command, which this process cannot run/);
  });

  it('creates the Lambda client only when a Lambda hook runs, and invokes the function the descriptor names', async () => {
    // GIVEN clients that hand out a stub for the hook client
    const asked: string[] = [];
    const sent: unknown[] = [];
    const clients = {
      get: (type: { name: string }) => {
        asked.push(type.name);
        return { send: async (c: { input: unknown }) => (sent.push(c.input), { StatusCode: 200 }) };
      },
    } as unknown as AwsClients;
    const hooks = releaseHooksFromDescriptor(descriptorWith([declared('expand', 'pre-release', 'lambda', FN)]), { clients });
    expect(asked).toEqual([]);

    // WHEN the hook runs
    const [hook] = hooks.hooks;
    expect(await hooks.runner.run(hook, eventOf(hook), 1_000)).toEqual({ verdict: 'passed' });

    // THEN the hook client was asked for, and the function invoked
    expect(asked).toEqual(['HookLambdaClient']);
    expect(sent).toEqual([expect.objectContaining({ FunctionName: FN, InvocationType: 'RequestResponse' })]);
  });
});

describe('webhook hooks through releaseHooksFromDescriptor', () => {
  let server: http.Server;
  let url: string;
  const bodies: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes the webhook options on (a loopback URL only with allowInsecureLoopback)', async () => {
    const descriptor = descriptorWith([declared('notify', 'on-rollback', 'webhook', url)]);
    const strict = releaseHooksFromDescriptor(descriptor, { clients: noClients });
    const [hook] = strict.hooks;
    await expect(strict.runner.run(hook, eventOf(hook), 1_000)).rejects.toThrow(/https:\/\//);
    const loopback = releaseHooksFromDescriptor(descriptor, { clients: noClients, webhook: { allowInsecureLoopback: true } });
    expect(await loopback.runner.run(hook, eventOf(hook), 1_000)).toEqual({ verdict: 'passed' });
    expect(bodies).toHaveLength(1);
  });
});

describe('onRollbackHooks (auto-rollback)', () => {
  it("keeps only the descriptor's on-rollback hooks", () => {
    const descriptor = descriptorWith([
      declared('expand', 'pre-release', 'lambda', FN),
      declared('page', 'on-rollback', 'webhook', 'https://pager.example/'),
      declared('undo', 'on-rollback', 'lambda', FN, { retries: 1 }),
      declared('analysis', 'step', 'webhook', 'https://checks.example/'),
    ]);
    const hooks = onRollbackHooks(descriptor, noClients);
    expect(hooks?.hooks.map((h) => [h.name, h.kind, h.point])).toEqual([
      ['page', 'webhook', 'on-rollback'],
      ['undo', 'lambda', 'on-rollback'],
    ]);
    expect(hooks?.images).toEqual({ blue: 'ssm:/web/ami', green: 'baked:web@4' });
  });

  it('is undefined when the service has no on-rollback hook', () => {
    expect(onRollbackHooks(descriptorWith(), noClients)).toBeUndefined();
    expect(onRollbackHooks(descriptorWith([declared('expand', 'pre-release', 'lambda', FN)]), noClients)).toBeUndefined();
  });
});
