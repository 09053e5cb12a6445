/**
 * `bluegreen quarantine` and the quarantine line of `bluegreen status` end to end: the real CLI (in-process, `main`),
 * the real QuarantineController and SDK adapters, against moto. The kept instance is seeded by the quarantine
 * function's own path (runQuarantine on the lifecycle action the group would send, with quarantine-stand-ins.ts for
 * what moto lacks: the hook firing, the termination's cause, CompleteLifecycleAction), so the record and the tags are
 * what a deployed service would have. Everything the CLI does goes to moto; every assertion reads moto's state.
 *
 * The tests run in order on one service, as an on-call engineer would: list, status, extend (dry run, for real,
 * refused past 7 days), terminate (dry run, refused for an instance not kept, for real).
 */
import * as os from 'os';
import { AutoScalingClient, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { QUARANTINE_TAGS, QuarantineRecord, quarantineRecordKey } from '../../lib/contract';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { QuarantineConfig, runQuarantine } from '../../lib/lambda/quarantine';
import { jsonLines, removeWorkspaces, runMain, workspace } from '../cli/harness';
import { QUARANTINE_CLI_ACTIONS } from '../helpers/sdk-actions';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from './fixture';
import { MOTO_REGION, useMotoServer } from './moto-server';
import { autoScalingWithStandIns, lifecycleActionEvent, MotoLifecycle, motoLifecycle } from './quarantine-stand-ins';

useMotoServer();
afterAll(removeWorkspaces);

let clients: AwsClients;
let fx: ServiceFixture;
let kept = '';

beforeAll(async () => {
  clients = createAwsClients();
  [fx] = await Promise.all([createServiceFixture({ service: 'qc', clients, quarantine: {} }), createServiceFixture({ service: 'qn', clients })]);
  // Two health-driven replacements of blue: the first is kept, the second is over the cap of 1 and terminates.
  const lifecycle = motoLifecycle();
  const [first, second] = await fx.instanceIds('blue');
  for (const id of [first, second]) {
    await clients.get(AutoScalingClient).send(new SetInstanceHealthCommand({ InstanceId: id, HealthStatus: 'Unhealthy' }));
    await runQuarantine(lifecycleActionEvent(lifecycle, fx.colours.blue.autoScalingGroupName, id), handlerConfig(lifecycle));
  }
  expect((await record()).entries.map((e) => [e.instanceId, e.state])).toEqual([[first, 'kept']]);
  kept = first;
});

function handlerConfig(lifecycle: MotoLifecycle): QuarantineConfig {
  return {
    serviceName: fx.service,
    clients,
    descriptors: new DescriptorCache(fx.service),
    autoScaling: autoScalingWithStandIns(clients, lifecycle),
    log: () => undefined,
  };
}

/** The last JSON line: a result, or the list's object. */
interface JsonOut {
  readonly message?: string;
  readonly instances?: Array<{ readonly reasons: string[]; readonly expiresInMs: number }>;
  readonly [field: string]: unknown;
}

/** The CLI in this process with fresh clients (their counter counts only its calls). */
async function cli(...args: string[]) {
  const own = createAwsClients();
  try {
    const run = await runMain(args, workspace(args.find((a) => /^q[cn]$/.test(a)) ?? 'qc', null).dir, own);
    const lines = args.includes('--json') ? jsonLines(run.stdout) : [];
    const operations = own.counter.snapshot().map((o) => `${o.service}:${o.operation}`);
    return { ...run, lines, json: lines.at(-1) as JsonOut | undefined, calls: own.counter.count(), created: own.created(), operations };
  } finally {
    own.destroy();
  }
}

async function record(): Promise<QuarantineRecord> {
  const item = await clients.get(DynamoDBClient).send(new GetItemCommand({ TableName: fx.descriptor.releaseStateTable, Key: { service: { S: quarantineRecordKey(fx.service) } } }));
  return JSON.parse(item.Item!.record.S!);
}

async function instance(id: string): Promise<Instance> {
  const out = await clients.get(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0].Instances![0];
}

const tagsOf = (i: Instance) => Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
const DAY = 86_400_000;

describe('bluegreen quarantine <service>', () => {
  it('lists the kept instance: colour, state, since, reasons, image, expiry, evidence, snapshots, how to connect, and the counts', async () => {
    // WHEN
    const run = await cli('quarantine', 'qc');
    // THEN
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `qc (${MOTO_REGION}): 1 instance in quarantine`,
      '  kept          blue 1 of 1, green 0 of 1; 1 of 2 for the service',
      "  replacements  blue 2, green 0 in the last 15m; 3 raise the colour's flapping alarm",
      '  retention     24h, extendable to 168h after it was kept (bluegreen quarantine extend qc <instance> --for 24h)',
    ]);
    const entry = (await record()).entries[0];
    expect(lines).toContain(`  ${kept}  blue  kept`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^    since      ${entry.since} \\(\\d+s ago\\)$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^    expires    ${entry.expiresAt} \\(in (23h59m|24h)\\)$`)));
    expect(lines.find((l) => l.startsWith('    reasons'))).toMatch(/in response to a user health-check/);
    expect(lines).toContain(`    image      ${FIXTURE_AMI}`);
    expect(lines).toContain(`    evidence   s3://qc-access-logs/quarantine/qc/${kept}/evidence.json`);
    expect(lines).toContain('    snapshots  none');
    expect(lines).toContain(`    groups     ${fx.securityGroupId} before isolation`);
    expect(lines).toContain(`    connect    aws ssm start-session --target ${kept} --region ${MOTO_REGION}`);
    // AND it read the descriptor and the record, nothing else
    expect(run.operations.sort()).toEqual(['dynamodb:GetItem', 'ssm:GetParameter']);
  });

  it('--json gives the same as one object', async () => {
    // WHEN
    const run = await cli('quarantine', 'qc', '--json');
    // THEN
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(1);
    const entry = (await record()).entries[0];
    expect(run.json).toMatchObject({
      kind: 'status',
      service: 'qc',
      region: MOTO_REGION,
      kept: { blue: 1, green: 0 },
      keepPerColour: 1,
      keepPerService: 2,
      recentReplacements: { blue: 2, green: 0 },
      flappingReplacements: 3,
      flappingWindowMs: 15 * 60_000,
      retentionMs: DAY,
      maxRetentionMs: 7 * DAY,
      instances: [
        {
          instanceId: kept,
          colour: 'blue',
          state: 'kept',
          autoScalingGroupName: fx.colours.blue.autoScalingGroupName,
          since: entry.since,
          expiresAt: entry.expiresAt,
          imageId: FIXTURE_AMI,
          evidence: `s3://qc-access-logs/quarantine/qc/${kept}/evidence.json`,
          snapshots: [],
          originalSecurityGroups: [fx.securityGroupId],
          extended: null,
          connect: `aws ssm start-session --target ${kept} --region ${MOTO_REGION}`,
        },
      ],
      warnings: [],
    });
    expect(run.json!.instances![0].reasons.join(' ')).toMatch(/user health-check/);
    expect(run.json!.instances![0].expiresInMs).toBeGreaterThan(DAY - 60_000);
  });

  it('refuses a service without quarantine (exit 3), naming the fix', async () => {
    // WHEN
    const list = await cli('quarantine', 'qn');
    const terminate = await cli('quarantine', 'terminate', 'qn', '--json', kept);
    // THEN
    expect(list.code).toBe(3);
    expect(list.stdout).toBe('');
    expect(list.stderr).toBe(
      `bluegreen: qn does not quarantine sick instances: its descriptor in ${MOTO_REGION} has no healing.quarantine section, so its groups replace them without keeping any. ` +
        'Set `healing: Healing.quarantine()` on its BlueGreenService and deploy, then run this again.\n',
    );
    expect(terminate.code).toBe(3);
    expect(terminate.json).toMatchObject({ kind: 'result', command: 'quarantine', status: 'refused', outcome: 'refused', apiCalls: { mutating: 0 } });
    expect(terminate.operations).toEqual(['ssm:GetParameter']);
  });
});

describe('bluegreen status <service>', () => {
  it('shows kept instances per colour against the caps, and the replacements against the flapping threshold', async () => {
    // WHEN
    const text = await cli('status', 'qc');
    const json = await cli('status', 'qc', '--json');
    // THEN
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\n  quarantine   blue 1 kept, green 0 (cap 1 per colour, 2 per service); replacements in 15m: blue 2/3, green 0/3\n');
    expect(json.json).toMatchObject({
      kind: 'status',
      quarantine: { kept: { blue: 1, green: 0 }, keepPerColour: 1, keepPerService: 2, recentReplacements: { blue: 2, green: 0 }, flappingReplacements: 3 },
    });
  });

  it('shows nothing new for a service without quarantine, and makes no extra call', async () => {
    // WHEN
    const text = await cli('status', 'qn');
    const json = await cli('status', 'qn', '--json');
    const withQuarantine = await cli('status', 'qc');
    // THEN
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('quarantine');
    expect(json.json).not.toHaveProperty('quarantine');
    // One GetItem fewer than the service with quarantine (its record), everything else the same.
    expect(withQuarantine.calls - text.calls).toBe(1);
  });
});

describe('bluegreen quarantine extend', () => {
  it('--dry-run says until when and changes nothing', async () => {
    // GIVEN
    const before = await record();
    const tagBefore = tagsOf(await instance(kept))[QUARANTINE_TAGS.EXPIRES];
    // WHEN
    const run = await cli('quarantine', 'extend', 'qc', kept, '--for', '24h', '--dry-run', '--json');
    // THEN
    const wanted = new Date(Date.parse(before.entries[0].expiresAt) + DAY).toISOString();
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ status: 'dry-run', instanceId: kept, previousExpiry: before.entries[0].expiresAt, expiresAt: wanted, dryRun: true, apiCalls: { mutating: 0 } });
    expect(run.json!.message).toMatch(/^Dry run, nothing was changed: would keep i-\w+ of qc until /);
    expect(await record()).toEqual(before);
    expect(tagsOf(await instance(kept))[QUARANTINE_TAGS.EXPIRES]).toBe(tagBefore);
  });

  it('moves the expiry in the record and the tag, recording who', async () => {
    // GIVEN
    const before = (await record()).entries[0];
    // WHEN
    const run = await cli('quarantine', 'extend', 'qc', kept, '--for', '24h');
    // THEN
    const wanted = new Date(Date.parse(before.expiresAt) + DAY).toISOString();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Extended ${kept} of qc: kept until ${wanted} \\(in (47h59m|48h)\\), was ${before.expiresAt}; recorded as extended by ${os.hostname()}:${process.pid}\\.\\n$`));
    const after = (await record()).entries[0];
    expect(after).toMatchObject({ expiresAt: wanted, extended: { by: `${os.hostname()}:${process.pid}` } });
    expect(tagsOf(await instance(kept))[QUARANTINE_TAGS.EXPIRES]).toBe(wanted);
    expect(run.operations.filter((o) => !QUARANTINE_CLI_ACTIONS.has(o))).toEqual([]);
  });

  it('refuses an extension past 7 days after it was kept (exit 3), naming the latest expiry allowed; nothing changes', async () => {
    // GIVEN kept 48 h from now: 120 h of room
    const before = await record();
    const latest = new Date(Date.parse(before.entries[0].since!) + 7 * DAY).toISOString();
    // WHEN
    const run = await cli('quarantine', 'extend', 'qc', kept, '--for', '168h');
    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`the latest expiry allowed is ${latest}; the largest --for that fits is --for 120h.`);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(await record()).toEqual(before);
    expect(run.operations.sort()).toEqual(['dynamodb:GetItem', 'ssm:GetParameter']);
  });

  it.each([
    [['--for', '3w'], 'bluegreen: --for: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "3w".'],
    [['--for', '200h'], 'bluegreen: --for: must be from 1m to 168h. Got "200h".'],
    [['--for', '-1h'], 'bluegreen: --for: is a negative duration; give a positive value, e.g. --for 1h. Got "-1h".'],
    [[], 'bluegreen: quarantine extend needs --for <duration>: how much later the retention ends, e.g. bluegreen quarantine extend web i-0123456789abcdef0 --for 24h.'],
  ])('a bad duration %j exits 2 before any AWS call', async (flags, message) => {
    // WHEN
    const run = await cli('quarantine', 'extend', 'qc', 'i-0123456789abcdef0', ...flags);
    // THEN
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: `${message}\n`, calls: 0, created: [] });
  });
});

describe('bluegreen quarantine terminate', () => {
  it('--dry-run says what would go and changes nothing in moto', async () => {
    // GIVEN
    const before = await record();
    // WHEN
    const run = await cli('quarantine', 'terminate', 'qc', kept, '--dry-run', '--json');
    // THEN
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ status: 'dry-run', instanceId: kept, colour: 'blue', terminated: true, dryRun: true, apiCalls: { mutating: 0 } });
    expect(run.json!.message).toBe(`Dry run, nothing was changed: would terminate ${kept} (blue) of qc and drop it from the quarantine record.`);
    expect((await instance(kept)).State?.Name).toBe('running');
    expect(await record()).toEqual(before);
  });

  it('refuses an instance that is not kept (exit 3) and leaves it running', async () => {
    // GIVEN a healthy green instance
    const [green] = await fx.instanceIds('green');
    // WHEN
    const run = await cli('quarantine', 'terminate', 'qc', green);
    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`bluegreen: ${green} is not kept in the quarantine of qc, so there is nothing to terminate; 'bluegreen quarantine qc' lists the kept instances.\n`);
    expect((await instance(green)).State?.Name).toBe('running');
  });

  it.each([
    [['i-xyz'], 'bluegreen: <instance>: malformed instance id: expected \'i-\' and 8 or 17 lower-case hex digits, e.g. i-0123456789abcdef0; \'bluegreen quarantine <service>\' lists the kept ones. Got "i-xyz".'],
    [[], 'bluegreen: missing <instance>: bluegreen quarantine terminate <service> <instance> [flags], e.g. bluegreen quarantine terminate web i-0123456789abcdef0.'],
    [['i-0123456789abcdef0', '--for', '1h'], 'bluegreen: --for: applies only to quarantine extend, e.g. bluegreen quarantine extend web i-0123456789abcdef0 --for 24h. Got "1h".'],
  ])('bad input %j exits 2 before any AWS call', async (args, message) => {
    const run = await cli('quarantine', 'terminate', 'qc', ...args);
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: `${message}\n`, calls: 0, created: [] });
  });

  it('terminates the kept instance in moto and drops its entry', async () => {
    // WHEN
    const run = await cli('quarantine', 'terminate', 'qc', kept, '--json');
    // THEN
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ status: 'done', instanceId: kept, colour: 'blue', terminated: true, dryRun: false });
    expect(run.json!.message).toBe(`Terminated ${kept} (blue) of qc and dropped it from the quarantine record; its evidence stays under s3://qc-access-logs/quarantine/qc/${kept}/.`);
    expect(['shutting-down', 'terminated']).toContain((await instance(kept)).State?.Name);
    expect((await record()).entries).toEqual([]);
    expect(run.operations.filter((o) => !QUARANTINE_CLI_ACTIONS.has(o))).toEqual([]);
    // AND the list is empty; a second terminate is refused
    expect((await cli('quarantine', 'qc')).stdout.split('\n')[0]).toBe(`qc (${MOTO_REGION}): no instance in quarantine`);
    expect((await cli('quarantine', 'terminate', 'qc', kept)).code).toBe(3);
  });
});

describe('AWS errors', () => {
  it('an unreachable endpoint exits 5 with the fix', async () => {
    // GIVEN clients pointed at a closed port, one attempt
    const dead = createAwsClients({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1, connectionTimeoutMs: 500 });
    try {
      // WHEN
      const run = await runMain(['quarantine', 'qc', '--json'], workspace('qc', null).dir, dead);
      // THEN
      expect(run.code).toBe(5);
      expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'result', status: 'error', outcome: 'aws-error' });
      expect(run.stderr.split('\n')).toHaveLength(2);
    } finally {
      dead.destroy();
    }
  });
});
