/**
 * Stand-ins for the `dr` command and the staggered release, run in-process through `main`: descriptors served by a
 * fake SSM client (the real `loadDescriptor` parses them), a fake DR engine (the real one lives in lib/release/dr),
 * and each Region's release ports on a FakeWorld (test/release/fakes.ts) driven by the real ReleaseEngine.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiCallCounter, AwsClients } from '../../lib/aws';
import type { DisasterRecoveryDescriptor, DrRecord, ServiceDescriptor } from '../../lib/contract';
import type { DrAccess, DrAccessFactory, DrEngineApi } from '../../lib/cli/dr-access';
import type { DrEvent, DrLogger, DrRecordCopy, VersionedDrRecord } from '../../lib/release/dr/ports';
import type { DrillReport, DrOutcome, DrPlan, DrStatus } from '../../lib/release/dr/types';
import { FakeWorld } from '../release/fakes';
import { InProcessRun, runMain } from './harness';
import { drSectionOf } from '../helpers/dr-section';

export const PRIMARY = 'eu-west-1';
export const STANDBY = 'eu-central-1';
export const NEW = 'baked:web@2.0.0';
export const OLD = 'baked:web@1.0.0';

/** The `disasterRecovery` section of `role`'s descriptor. */
export function drSection(role: 'primary' | 'standby', mode: 'pilot-light' | 'warm-standby' = 'warm-standby'): DisasterRecoveryDescriptor {
  const overrides = role === 'primary' ? { healthCheckId: 'hc-1' } : { watcherFunctionName: 'web-dr-watcher' };
  return drSectionOf({ primaryRegion: PRIMARY, standbyRegion: STANDBY, role, mode, overrides });
}

/** A schema-1 descriptor of `web` in `region`, blue live on OLD and green idle on NEW. */
export function descriptorOf(region: string, dr?: DisasterRecoveryDescriptor): ServiceDescriptor {
  const arn = (what: string) => `arn:aws:elasticloadbalancing:${region}:123456789012:${what}`;
  const colour = (c: string, image: string, mode: string) => ({
    targetGroupArn: arn(`targetgroup/web-${c}/1`),
    targetGroupFullName: `targetgroup/web-${c}/1`,
    autoScalingGroupName: `web-${c}`,
    launchTemplateId: `lt-${c}`,
    image,
    imageId: 'ami-12c6146b',
    mode,
    alarms: { gate: `web-${c}-gate` },
  });
  const route = (port: number) => ({ listenerArn: arn(`listener/app/web/1/${port}`), ruleArn: arn(`listener-rule/app/web/1/${port}/1`), port, protocol: 'HTTP' });
  return {
    schemaVersion: 1,
    service: 'web',
    region,
    stackName: `web-${region}`,
    loadBalancer: { arn: arn('loadbalancer/app/web/1'), fullName: 'app/web/1', dnsName: `web.${region}.elb.amazonaws.com` },
    production: route(80),
    test: route(8080),
    topicArn: `arn:aws:sns:${region}:123456789012:web`,
    routingIdentity: 'internet-facing;vpc="v";targets=HTTP:80',
    releaseStateTable: 'web-release-state',
    capacity: { min: 3, max: 6, desired: 3 },
    colours: { blue: colour('blue', OLD, 'active'), green: colour('green', NEW, 'ready') },
    ...(dr ? { disasterRecovery: dr } : {}),
  };
}

/**
 * Clients of one Region whose SSM client answers GetParameter with `descriptor` (or ParameterNotFound): enough for
 * the CLI's Region check and `loadDescriptor`. Any other client is a mistake in the test.
 */
export function ssmOnlyClients(region: string, descriptor: ServiceDescriptor | undefined): AwsClients {
  const counter = new ApiCallCounter();
  const ssm = {
    config: { serviceId: 'SSM', region: async () => region },
    send: async () => {
      if (!descriptor) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
      return { Parameter: { Value: JSON.stringify(descriptor) } };
    },
    destroy: () => undefined,
  };
  return {
    get: (<C>(type: { name: string }): C => {
      if (type.name !== 'SSMClient') throw new Error(`test clients have no ${type.name}`);
      return ssm as unknown as C;
    }) as AwsClients['get'],
    created: () => ['ssm'],
    counter,
    destroy: () => undefined,
    onRetry: () => () => undefined,
    setDeadline: () => undefined,
  };
}

/** A DR engine that returns what the test says and records what it was asked. */
export class FakeDrEngine implements DrEngineApi {
  public readonly calls: string[] = [];
  public statusValue: DrStatus = drStatus();
  public plan: DrPlan = { kind: 'failover', steps: [{ action: 'scale', detail: 'green in eu-central-1 to 3' }, { action: 'switch', detail: 'write 1' }] };
  public outcome: DrOutcome = { kind: 'failover', result: 'done', phase: 'failed-over', message: 'Failed over web to eu-central-1.', operationId: 'op-1', timeline: [] };
  public report: DrillReport = drillReport('passed');
  /** Events `failover` emits through the logger the CLI gave, as a real engine does. */
  public failoverEvents: DrEvent[] = [];
  public logger?: DrLogger;

  public async status(): Promise<DrStatus> {
    this.calls.push('status');
    return this.statusValue;
  }
  public async planFailover(o: object): Promise<DrPlan> {
    this.calls.push(`planFailover ${JSON.stringify(o)}`);
    return this.plan;
  }
  public async failover(o: object): Promise<DrOutcome> {
    this.failoverEvents.forEach((e) => this.logger?.event(e));
    this.calls.push(`failover ${JSON.stringify(o)}`);
    return this.outcome;
  }
  public async planFailback(o: object): Promise<DrPlan> {
    this.calls.push(`planFailback ${JSON.stringify(o)}`);
    return { ...this.plan, kind: 'failback' };
  }
  public async failback(o: object): Promise<DrOutcome> {
    this.calls.push(`failback ${JSON.stringify(o)}`);
    return { ...this.outcome, kind: 'failback' };
  }
  public async drill(o: object): Promise<DrillReport> {
    this.calls.push(`drill ${JSON.stringify(o)}`);
    return this.report;
  }
  public async resume(o?: object): Promise<DrOutcome> {
    this.calls.push(`resume ${JSON.stringify(o)}`);
    return { ...this.outcome, kind: 'resume' };
  }
}

/** A `DrStatus` of a normal pair, both Regions on NEW. */
export function drStatus(overrides: Partial<DrStatus> = {}): DrStatus {
  return {
    service: 'web',
    record: { service: 'web', generation: 4, phase: 'normal', activeRegion: PRIMARY, since: Date.UTC(2026, 0, 1), reason: 'failback done' },
    recordRegions: [PRIMARY, STANDBY],
    primary: { region: PRIMARY, side: 'primary', reachable: true, liveColour: 'green', image: NEW, desired: 3, healthy: 3, firingAlarms: [] },
    standby: { region: STANDBY, side: 'standby', reachable: true, liveColour: 'blue', image: NEW, desired: 0, healthy: 0, firingAlarms: [] },
    switchState: 'OK',
    dnsAnswering: 'primary',
    ttlSeconds: 60,
    worstCaseFailoverSeconds: 150,
    versionSkew: false,
    ...overrides,
  };
}

/** A drill report; `passed` or `failed: ...`. */
export function drillReport(outcome: string): DrillReport {
  const t0 = Date.UTC(2026, 0, 1, 12);
  return {
    schemaVersion: 1,
    service: 'web',
    drillId: 'drill-20260101T120000Z',
    primaryRegion: PRIMARY,
    standbyRegion: STANDBY,
    standbyMode: 'warm-standby',
    startedAt: t0,
    finishedAt: t0 + 400_000,
    outcome,
    timeline: [
      { mark: 'decision', at: t0 },
      { mark: 'standby-healthy', at: t0 + 22_000 },
      { mark: 'first-success-standby', at: t0 + 83_000, detail: 'HTTP 200 from eu-central-1' },
    ],
    ...(outcome === 'passed' ? { recoveryMs: 83_000 } : {}),
    worstCaseDnsSeconds: 150,
    dns: { ttlSeconds: 60, intervalSeconds: 10, failureThreshold: 3, alarmPeriodSeconds: 60 },
    capacity: [],
    versions: { primary: NEW, standby: NEW },
    holdChecks: { total: 30, ok: 30 },
    leftRunning: 'the warm standby at 50 %',
  };
}

/** A DR record copy in memory. */
export class MemoryDrRecordCopy implements DrRecordCopy {
  public stored?: VersionedDrRecord;
  public unreachable = false;
  constructor(record?: DrRecord) {
    if (record) this.stored = { record, version: 1 };
  }
  public async read(): Promise<VersionedDrRecord | undefined> {
    if (this.unreachable) throw new Error('connect ETIMEDOUT');
    return this.stored;
  }
  public async write(record: DrRecord, expected: number | undefined): Promise<number> {
    const version = (expected ?? 0) + 1;
    this.stored = { record, version };
    return version;
  }
}

/** Everything a test's `DrAccess` serves. */
export interface FakePair {
  readonly engine: FakeDrEngine;
  /** Descriptors other than the command's own Region's, by Region (undefined: not deployed there). */
  readonly descriptors: Record<string, ServiceDescriptor | undefined>;
  /** Each Region's world, for release ports. */
  readonly worlds: Record<string, FakeWorld>;
  /** DR record copies by Region. */
  readonly records: Record<string, MemoryDrRecordCopy>;
  /** What the access was asked, in order. */
  readonly log: string[];
}

/** A fake pair: both Regions blue live on OLD, green idle on NEW (as `descriptorOf`). */
export function fakePair(): FakePair {
  return {
    engine: new FakeDrEngine(),
    descriptors: {},
    worlds: { [PRIMARY]: new FakeWorld(), [STANDBY]: new FakeWorld() },
    records: { [PRIMARY]: new MemoryDrRecordCopy(), [STANDBY]: new MemoryDrRecordCopy() },
    log: [],
  };
}

/** The `DrAccess` of a fake pair. */
export function accessOf(pair: FakePair): DrAccessFactory {
  return (): DrAccess => ({
    clientsFor: () => {
      throw new Error('tests reach Regions through the fake access only');
    },
    descriptor: async (region) => {
      pair.log.push(`descriptor ${region}`);
      const d = pair.descriptors[region];
      if (!d) throw Object.assign(new Error(`no descriptor in ${region}`), { name: 'ParameterNotFound' });
      return d;
    },
    releasePorts: async (descriptor, logger) => {
      pair.log.push(`releasePorts ${descriptor.region}`);
      const proc = pair.worlds[descriptor.region].process(`cli-${descriptor.region}`);
      return { ...proc.ports, logger };
    },
    drEngine: async (options, logger, descriptors) => {
      pair.engine.logger = logger;
      pair.log.push(`drEngine dr=${options.dr.role} timeout=${options.healthyTimeoutMs ?? '-'}${options.pollMs !== undefined ? ` poll=${options.pollMs}` : ''} read=${Object.keys(descriptors).join(',')}`);
      return pair.engine;
    },
    drRecords: async (dr) => {
      pair.log.push('drRecords');
      return [
        { region: dr.primaryRegion, copy: pair.records[dr.primaryRegion] },
        { region: dr.standbyRegion, copy: pair.records[dr.standbyRegion] },
      ];
    },
    renderDrillMarkdown: async (report) => `# Drill ${report.drillId}\n\nClient-observed recovery time: ${report.recoveryMs} ms\n`,
    close: () => pair.log.push('close'),
  });
}

const dirs: string[] = [];

/** A fresh working directory. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bluegreen-dr-'));
  dirs.push(dir);
  return dir;
}

/** Remove the directories `tempDir` made. */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Run `bluegreen <argv>` in-process with the command's Region serving `here` and the fake pair for the rest. */
export function runDr(argv: string[], here: { region: string; descriptor?: ServiceDescriptor }, pair: FakePair, cwd = tempDir()): Promise<InProcessRun> {
  return runMain(argv, cwd, ssmOnlyClients(here.region, here.descriptor), { drAccess: accessOf(pair) });
}
