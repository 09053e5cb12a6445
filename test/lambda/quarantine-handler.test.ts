/**
 * The quarantine handler's edges, without AWS: clients whose every call fails, a descriptor cache that answers or
 * throws. The paths through moto are in test/integration/quarantine-handler.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import { QUARANTINE_HOOK_NAME, QUARANTINE_SWEEP_SOURCE, ServiceDescriptor } from '../../lib/contract';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { QuarantineConfig, QuarantineEvent, QuarantineLogLine, runQuarantine } from '../../lib/lambda/quarantine';
import { AutoScalingQuarantinePort, LifecycleResult, TerminationEvent } from '../../lib/release/quarantine';

const colour = (name: string) => ({
  targetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-${name}/1`,
  targetGroupFullName: `targetgroup/web-${name}/1`,
  autoScalingGroupName: `web-${name}`,
  launchTemplateId: 'lt-1',
  image: 'ami-1',
  imageId: 'ami-1',
  mode: name === 'blue' ? 'active' : 'ready',
  alarms: {},
});

const DESCRIPTOR = {
  schemaVersion: 1,
  service: 'web',
  region: 'eu-west-1',
  releaseStateTable: 'web-release-state',
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:web',
  colours: { blue: colour('blue'), green: colour('green') },
  healing: {
    quarantine: {
      keepPerColour: 1,
      keepPerService: 2,
      retentionSeconds: 86_400,
      snapshots: false,
      flappingReplacements: 3,
      flappingWindowSeconds: 900,
      hookName: QUARANTINE_HOOK_NAME,
      hookTimeoutSeconds: 300,
      securityGroupId: 'sg-quarantine',
      evidenceBucket: 'web-logs',
      evidencePrefix: 'quarantine/web/',
    },
  },
} as unknown as ServiceDescriptor;

/** Clients whose every call fails, recording what was asked. */
function failingClients(sent: Array<{ command: string; input: Record<string, unknown> }>): AwsClients {
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      throw new Error('connect ECONNREFUSED');
    },
  };
  return { get: () => client, created: () => [], destroy: () => undefined } as unknown as AwsClients;
}

function descriptors(answer: () => Promise<ServiceDescriptor>): DescriptorCache & { forgotten: number } {
  const cache = { serviceName: 'web', forgotten: 0, get: answer, forget: () => void cache.forgotten++ };
  return cache as unknown as DescriptorCache & { forgotten: number };
}

/** An Auto Scaling port that records completions and otherwise fails (or completes, when `complete` says so). */
function autoScaling(completions: Array<[TerminationEvent, LifecycleResult]>, complete: () => Promise<boolean>): AutoScalingQuarantinePort {
  const fail = async (): Promise<never> => {
    throw new Error('not expected');
  };
  return {
    terminationActivity: fail,
    groupDeleting: fail,
    completeLifecycleAction: async (event, result) => {
      completions.push([event, result]);
      return complete();
    },
    terminateInstance: fail,
    retainedInstances: fail,
  };
}

function lifecycle(detail: Record<string, string>): QuarantineEvent {
  return { source: 'aws.autoscaling', 'detail-type': 'EC2 Instance-terminate Lifecycle Action', detail };
}

const OUR_ACTION = {
  AutoScalingGroupName: 'web-blue',
  EC2InstanceId: 'i-1',
  LifecycleHookName: QUARANTINE_HOOK_NAME,
  LifecycleActionToken: 'token-1',
  LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
};

function setup(overrides: Partial<QuarantineConfig> = {}) {
  const lines: QuarantineLogLine[] = [];
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  const completions: Array<[TerminationEvent, LifecycleResult]> = [];
  const config: QuarantineConfig = {
    serviceName: 'web',
    clients: failingClients(sent),
    descriptors: descriptors(async () => DESCRIPTOR),
    autoScaling: autoScaling(completions, async () => true),
    log: (line) => lines.push(line),
    ...overrides,
  };
  return { config, lines, sent, completions };
}

describe('quarantine handler', () => {
  it('continues our hook\'s action when the descriptor cannot be read, and does not throw when that fails too', async () => {
    // GIVEN an unreadable descriptor and CompleteLifecycleAction failing
    const completions: Array<[TerminationEvent, LifecycleResult]> = [];
    const cache = descriptors(() => Promise.reject(new Error('SSM throttled')));
    const { config, lines } = setup({ descriptors: cache, autoScaling: autoScaling(completions, () => Promise.reject(new Error('AccessDenied'))) });
    // WHEN
    const line = await runQuarantine(lifecycle(OUR_ACTION), config);
    // THEN it tried CONTINUE, logged one error line saying the hook's default ends it, and forgot the descriptor
    expect(completions.map(([e, r]) => [e.instanceId, r])).toEqual([['i-1', 'CONTINUE']]);
    expect(line).toMatchObject({ level: 'error', kind: 'hook', action: 'failed-open', instanceId: 'i-1' });
    expect(line.message).toMatch(/SSM throttled.*completing the lifecycle action with CONTINUE failed too \(AccessDenied\).*default result CONTINUE ends it/);
    expect(lines).toEqual([line]);
    expect(cache.forgotten).toBe(1);
  });

  it('leaves alone another hook, another transition, and an action it could not complete', async () => {
    // GIVEN
    const { config, lines, completions } = setup();
    // WHEN
    await runQuarantine(lifecycle({ ...OUR_ACTION, LifecycleHookName: 'drain-connections' }), config);
    await runQuarantine(lifecycle({ ...OUR_ACTION, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }), config);
    await runQuarantine(lifecycle({ ...OUR_ACTION, LifecycleActionToken: '' }), config);
    await runQuarantine({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }, config);
    // THEN none was completed, and each has its line
    expect(completions).toEqual([]);
    expect(lines.map((l) => [l.level, l.kind])).toEqual([
      ['info', 'ignored'],
      ['info', 'ignored'],
      ['error', 'ignored'],
      ['error', 'ignored'],
    ]);
    expect(lines[0].message).toMatch(/hook drain-connections is not bluegreen-quarantine/);
  });

  it('throws from the sweep after its error line when it reports errors, reading the record from the table in its environment', async () => {
    // GIVEN every AWS call failing, Retained instances unreadable
    const completions: Array<[TerminationEvent, LifecycleResult]> = [];
    const port: AutoScalingQuarantinePort = { ...autoScaling(completions, async () => true), retainedInstances: () => Promise.reject(new Error('throttled')) };
    const { config, lines, sent } = setup({ autoScaling: port, releaseStateTable: 'table-of-the-role' });
    // WHEN / THEN
    await expect(runQuarantine({ source: QUARANTINE_SWEEP_SOURCE }, config)).rejects.toThrow(/web: the quarantine sweep reported 3 error\(s\)/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', kind: 'sweep' });
    expect(lines[0].errors).toEqual([
      expect.stringContaining('web-blue: throttled'),
      expect.stringContaining('web-green: throttled'),
      expect.stringContaining('could not read the quarantine record'),
    ]);
    expect(sent.find((s) => s.command === 'GetItemCommand')?.input.TableName).toBe('table-of-the-role');
  });

  it('throws from the sweep when the service name is not in its environment', async () => {
    const { config, lines } = setup({ serviceName: '' });
    await expect(runQuarantine({ source: QUARANTINE_SWEEP_SOURCE }, config)).rejects.toThrow(/BLUEGREEN_SERVICE is not set/);
    expect(lines[0]).toMatchObject({ level: 'error', kind: 'sweep' });
  });
});
