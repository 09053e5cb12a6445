/**
 * An in-memory world for the quarantine controller: two colour groups with their instances, lifecycle actions that
 * wait for one completion (ABANDON retains the instance, CONTINUE terminates it), a record store that really does
 * compare-and-set (through JSON, as DynamoDB would hold it), evidence, notifications and the gauge.
 *
 * Every port call is logged in order (`calls`), can be made to fail (`fail`), and, with `interleave`, yields to
 * other callers a pseudo-random number of times first, so concurrent hook events really interleave. With
 * `retainDelayMs`, an abandoned instance shows as Retained only that long after the ABANDON (AWS passes it through
 * `Terminating:Proceed` first).
 */
import {
  ConcurrentQuarantineUpdateError,
  InstanceFacts,
  LifecycleResult,
  QuarantineController,
  QuarantinePolicy,
  QuarantinePorts,
  QuarantineRecord,
  TargetHealthFacts,
  TerminationActivity,
  TerminationEvent,
  VersionedQuarantineRecord,
} from '../../lib/release/quarantine';
import { ColourName, emptyQuarantineRecord, parseQuarantineRecord, QUARANTINE_HOOK_NAME } from '../../lib/contract';

/** When every test starts. */
export const T0 = Date.parse('2024-05-14T20:12:00.000Z');
export const SERVICE = 'shop';
export const QUARANTINE_SG = 'sg-quarantine';
export const ORIGINAL_SGS = ['sg-app', 'sg-ssm'];
export const IMAGE = 'ami-0123456789abcdef0';

/** Real causes, as groups write them. */
export const CAUSES = {
  elb: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an ELB system health check failure.',
  ec2: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an EC2 instance status check failure.',
  custom: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to a user health-check.',
  stopped: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.',
  scaleIn: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 2 to 1.',
  standby: 'At 2024-05-14T20:11:53Z a user request update of AutoScalingGroup constraints to min: 0, max: 0, desired: 0 changing the desired capacity from 2 to 0.',
  refresh: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an instance refresh.',
  userRequest: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to a user request',
  ec2Plural: 'At 2024-05-14T20:11:53Z an instance was taken out of service in response to an EC2 instance status checks failure.',
  rollingUpdate: 'At 2026-03-02T09:15:27Z an instance was taken out of service in response to a user request.',
  rollingUpdateShrink: 'At 2026-03-02T09:15:27Z an instance was taken out of service in response to a user request, shrinking the capacity from 3 to 2.',
} as const;

/** The load balancer's health of a failing target (when the group has not deregistered it yet). */
export const FAILING_TARGET: TargetHealthFacts = { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [502]' };

/** The group's activity terminating `instanceId` for `cause`, as the fake answers it. */
export function activityOf(instanceId: string, cause: string): TerminationActivity {
  return {
    cause,
    description: `Terminating EC2 instance: ${instanceId}`,
    startTime: '2024-05-14T20:11:53.000Z',
    statusCode: 'WaitingForTerminateLifecycleAction',
    details: '{"Subnet ID":"subnet-0a1b2c3d","Availability Zone":"eu-west-1a"}',
  };
}

export const GROUPS: Readonly<Record<ColourName, string>> = { blue: 'shop-blue-asg', green: 'shop-green-asg' };
export const TARGET_GROUPS: Readonly<Record<ColourName, string>> = {
  blue: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop-blue/1',
  green: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop-green/2',
};

/** The policy of the tests, with `overrides`. */
export function policyWith(overrides: Partial<QuarantinePolicy> = {}): QuarantinePolicy {
  return {
    service: SERVICE,
    region: 'eu-west-1',
    keepPerColour: 1,
    keepPerService: 2,
    retentionSeconds: 24 * 3600,
    snapshots: false,
    flappingReplacements: 3,
    flappingWindowSeconds: 15 * 60,
    hookName: QUARANTINE_HOOK_NAME,
    hookTimeoutSeconds: 300,
    securityGroupId: QUARANTINE_SG,
    evidencePrefix: `quarantine/${SERVICE}/`,
    colours: (['blue', 'green'] as const).map((colour) => ({ colour, autoScalingGroupName: GROUPS[colour], targetGroupArn: TARGET_GROUPS[colour] })),
    ...overrides,
  };
}

/** One port call. */
export interface Call {
  readonly name: string;
  readonly args: readonly unknown[];
}

export interface FakeInstance {
  colour: ColourName;
  state: string;
  imageId?: string;
  securityGroupIds: string[];
  registered: boolean;
  tags: Record<string, string>;
  /** What DescribeTargetHealth says while it is registered. */
  targetHealth?: TargetHealthFacts;
  consoleOutput?: string;
}

interface Failure {
  readonly name: string;
  /** Fail only the n-th call (1-based, counted from when the failure was set) of `name`; every call when absent. */
  readonly nth?: number;
  /** Calls of `name` made before the failure was set. */
  readonly before: number;
  readonly error: Error;
}

/** A lifecycle action: waiting until completed once. */
interface Action {
  readonly event: TerminationEvent;
  result?: LifecycleResult;
}

export class FakeWorld {
  public readonly calls: Call[] = [];
  public now = T0;
  /** Yield to other callers before each port call. */
  public interleave = false;
  public readonly instances = new Map<string, FakeInstance>();
  public readonly causes = new Map<string, string>();
  public readonly deleting = new Set<string>();
  public readonly actions = new Map<string, Action>();
  public readonly retained: Record<ColourName, Set<string>> = { blue: new Set(), green: new Set() };
  public readonly evidence = new Map<string, string>();
  public readonly notices: { subject: string; message: string }[] = [];
  public readonly gauges: Record<ColourName, number>[] = [];
  public readonly snapshots = new Map<string, Record<string, string>>();
  /** Runs at each port call, before it acts: lets a test change the world mid-way. */
  public before?: (call: Call) => void | Promise<void>;
  /** Writes that lose to a writer the test does not see (each makes one write conflict). */
  public conflicts = 0;
  /** How long after an ABANDON the instance shows as Retained (0: at once). */
  public retainDelayMs = 0;
  /** The most instances ever retained at once, per colour and in all. */
  public readonly peakRetained = { blue: 0, green: 0, total: 0 };
  private stored?: { json: string; version: number };
  /** Abandoned instances not yet Retained (`Terminating:Proceed`): when they will be. */
  private readonly proceeding = new Map<string, { colour: ColourName; at: number }>();
  private readonly failures: Failure[] = [];
  private readonly counts = new Map<string, number>();
  private seed: number;
  private nextToken = 1;

  constructor(
    public readonly policy: QuarantinePolicy = policyWith(),
    seed = 7,
  ) {
    this.seed = seed;
  }

  /** A running instance of `colour`, registered with its target group. */
  public launch(instanceId: string, colour: ColourName, extra: Partial<FakeInstance> = {}): void {
    this.instances.set(instanceId, {
      colour,
      state: 'running',
      imageId: IMAGE,
      securityGroupIds: [...ORIGINAL_SGS],
      registered: true,
      tags: { 'bluegreen:service': SERVICE, 'bluegreen:colour': colour },
      targetHealth: FAILING_TARGET,
      consoleOutput: `boot log of ${instanceId}\nkernel: Out of memory`,
      ...extra,
    });
  }

  /** The group starts terminating `instanceId` for `cause`: a lifecycle action waits. */
  public condemn(instanceId: string, cause: string | undefined, token = `token-${this.nextToken++}`): TerminationEvent {
    const colour = this.instances.get(instanceId)?.colour ?? 'blue';
    if (cause === undefined) this.causes.delete(instanceId);
    else this.causes.set(instanceId, cause);
    const event = { autoScalingGroupName: GROUPS[colour], instanceId, lifecycleHookName: QUARANTINE_HOOK_NAME, lifecycleActionToken: token };
    this.actions.set(token, { event });
    return event;
  }

  /** Make calls of `name` (e.g. `instances.deregister`) fail from now on: all of them, or only the n-th. */
  public fail(name: string, nth?: number): void {
    this.failures.push({ name, ...(nth !== undefined ? { nth } : {}), before: this.counts.get(name) ?? 0, error: new Error(`${name} failed (injected)`) });
  }

  /** The stored record (undefined when none). */
  public record(): QuarantineRecord | undefined {
    return this.stored ? parseQuarantineRecord(this.stored.json, SERVICE) : undefined;
  }

  public seedRecord(record: QuarantineRecord): void {
    this.stored = { json: JSON.stringify(record), version: (this.stored?.version ?? 0) + 1 };
  }

  /** Names of the calls, in order. */
  public names(): string[] {
    return this.calls.map((c) => c.name);
  }

  /** Names of the calls that change something. */
  public mutations(): string[] {
    const reads = ['store.read', 'autoScaling.terminationActivity', 'autoScaling.groupDeleting', 'autoScaling.retainedInstances', 'instances.describe', 'instances.targetHealth', 'instances.consoleOutput'];
    return this.names().filter((n) => !reads.includes(n));
  }

  /** The lifecycle results of `token`'s action. */
  public completions(): { token: string; result: string }[] {
    return this.calls.filter((c) => c.name === 'autoScaling.completeLifecycleAction').map((c) => ({ token: (c.args[0] as TerminationEvent).lifecycleActionToken, result: c.args[1] as string }));
  }

  public controller(): QuarantineController {
    return new QuarantineController(this.ports(), this.policy);
  }

  public ports(): QuarantinePorts {
    return {
      store: {
        read: () => this.call('store.read', [], () => this.read()),
        write: (record, expected) => this.call('store.write', [record, expected], () => this.write(record, expected)),
      },
      autoScaling: {
        terminationActivity: (group, id) => this.call('autoScaling.terminationActivity', [group, id], () => this.activity(id)),
        groupDeleting: (group) => this.call('autoScaling.groupDeleting', [group], () => this.deleting.has(group)),
        completeLifecycleAction: (event, result) => this.call('autoScaling.completeLifecycleAction', [event, result], () => this.complete(event, result)),
        terminateInstance: (group, id) => this.call('autoScaling.terminateInstance', [group, id], () => this.terminate(id)),
        retainedInstances: (group) => this.call('autoScaling.retainedInstances', [group], () => this.retainedOf(group)),
      },
      instances: {
        describe: (id) => this.call('instances.describe', [id], () => this.describe(id)),
        targetHealth: (tg, id) => this.call('instances.targetHealth', [tg, id], () => this.targetHealth(id)),
        deregister: (tg, id) => this.call('instances.deregister', [tg, id], () => void (this.instance(id).registered = false)),
        replaceSecurityGroups: (id, sgs) => this.call('instances.replaceSecurityGroups', [id, sgs], () => void (this.instance(id).securityGroupIds = [...sgs])),
        tag: (id, tags) => this.call('instances.tag', [id, tags], () => void Object.assign(this.instance(id).tags, tags)),
        consoleOutput: (id) => this.call('instances.consoleOutput', [id], () => this.instance(id).consoleOutput),
        snapshot: (id, tags) => this.call('instances.snapshot', [id, tags], () => this.snapshot(id, tags)),
      },
      evidence: {
        put: (key, body) => this.call('evidence.put', [key, body], () => this.putEvidence(key, body)),
      },
      notifier: {
        notify: (subject, message) => this.call('notifier.notify', [subject, message], () => void this.notices.push({ subject, message })),
      },
      gauge: {
        publish: (counts) => this.call('gauge.publish', [counts], () => void this.gauges.push({ ...counts })),
      },
      clock: { now: () => this.now, sleep: (ms) => this.sleep(ms) },
    };
  }

  /** Log, maybe yield, maybe fail, then act atomically. */
  private async call<T>(name: string, args: readonly unknown[], act: () => T): Promise<T> {
    this.calls.push({ name, args });
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    if (this.interleave) for (let i = this.random(4); i > 0; i--) await new Promise((r) => setImmediate(r));
    await this.before?.({ name, args });
    const failure = this.failures.find((f) => f.name === name && (f.nth === undefined || f.before + f.nth === n));
    if (failure) throw failure.error;
    return act();
  }

  /** Time passes; while interleaving, other callers get to run meanwhile. */
  private async sleep(ms: number): Promise<void> {
    if (this.interleave) for (let i = this.random(4) + Math.ceil(ms / 25); i > 0; i--) await new Promise((r) => setImmediate(r));
    this.now += ms;
  }

  private random(bound: number): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed % bound;
  }

  private read(): VersionedQuarantineRecord | undefined {
    return this.stored ? { record: parseQuarantineRecord(this.stored.json, SERVICE), version: this.stored.version } : undefined;
  }

  private write(record: QuarantineRecord, expected: number | undefined): number {
    if (this.conflicts > 0) {
      this.conflicts -= 1;
      // Another writer got there first with something this test does not care about.
      this.stored = { json: this.stored?.json ?? JSON.stringify(emptyQuarantineRecord(SERVICE)), version: (this.stored?.version ?? 0) + 1 };
      throw new ConcurrentQuarantineUpdateError('changed by another writer (injected)');
    }
    if (this.stored?.version !== expected) throw new ConcurrentQuarantineUpdateError(`version is ${this.stored?.version}, expected ${expected}`);
    this.stored = { json: JSON.stringify(record), version: (expected ?? 0) + 1 };
    return this.stored.version;
  }

  private complete(event: TerminationEvent, result: LifecycleResult): boolean {
    const action = this.actions.get(event.lifecycleActionToken);
    if (!action || action.result) return false;
    action.result = result;
    const inst = this.instance(event.instanceId);
    if (result === 'CONTINUE') this.terminate(event.instanceId);
    else if (this.retainDelayMs > 0) this.proceeding.set(event.instanceId, { colour: inst.colour, at: this.now + this.retainDelayMs });
    else this.retain(event.instanceId, inst.colour);
    return true;
  }

  private retainedOf(group: string): string[] {
    for (const [id, p] of [...this.proceeding]) {
      if (p.at > this.now) continue;
      this.proceeding.delete(id);
      this.retain(id, p.colour);
    }
    return [...this.retained[this.colourOf(group)]];
  }

  private activity(instanceId: string): TerminationActivity | undefined {
    const cause = this.causes.get(instanceId);
    return cause === undefined ? undefined : activityOf(instanceId, cause);
  }

  private targetHealth(instanceId: string): TargetHealthFacts | undefined {
    const inst = this.instance(instanceId);
    return inst.registered ? inst.targetHealth : undefined;
  }

  private retain(instanceId: string, colour: ColourName): void {
    this.retained[colour].add(instanceId);
    this.peakRetained[colour] = Math.max(this.peakRetained[colour], this.retained[colour].size);
    this.peakRetained.total = Math.max(this.peakRetained.total, this.retained.blue.size + this.retained.green.size);
  }

  private terminate(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (inst) inst.state = 'terminated';
    this.retained.blue.delete(instanceId);
    this.retained.green.delete(instanceId);
    this.proceeding.delete(instanceId);
  }

  private describe(instanceId: string): InstanceFacts {
    const inst = this.instances.get(instanceId);
    if (!inst) return { instanceId, state: 'gone', securityGroupIds: [] };
    return { instanceId, state: inst.state, ...(inst.imageId ? { imageId: inst.imageId } : {}), securityGroupIds: [...inst.securityGroupIds] };
  }

  private snapshot(instanceId: string, tags: Readonly<Record<string, string>>): string[] {
    const id = `snap-${instanceId}`;
    this.snapshots.set(id, { ...tags });
    return [id];
  }

  private putEvidence(key: string, body: string): string {
    JSON.parse(body);
    this.evidence.set(key, body);
    return `s3://shop-logs/${key}`;
  }

  private instance(instanceId: string): FakeInstance {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new Error(`InvalidInstanceID.NotFound: ${instanceId}`);
    return inst;
  }

  private colourOf(group: string): ColourName {
    return group === GROUPS.green ? 'green' : 'blue';
  }
}
