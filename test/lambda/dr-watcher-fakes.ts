/** In-memory DR ports for the watcher's tests: two Regions' record copies with compare-and-set, a probe, a switch. */
import { DisasterRecoveryDescriptor, ServiceDescriptor } from '../../lib/contract';
import { ConcurrentDrOperationError, DrPorts, DrRecord, DrRecordCopy, ProbeResult, RegionService, VersionedDrRecord } from '../../lib/release/dr/ports';
import { drSectionOf } from '../helpers/dr-section';

export const PRIMARY = 'eu-west-1';
export const STANDBY = 'eu-central-1';

/** A Region copy held in memory; `down` makes every call fail as an unreachable Region would. */
export class MemoryCopy implements DrRecordCopy {
  public stored?: VersionedDrRecord;
  public down = false;
  public writes: DrRecord[] = [];

  public async read(): Promise<VersionedDrRecord | undefined> {
    if (this.down) throw new Error('connect ETIMEDOUT');
    return this.stored;
  }

  public async write(record: DrRecord, expectedVersion: number | undefined): Promise<number> {
    if (this.down) throw new Error('connect ETIMEDOUT');
    if (this.stored?.version !== expectedVersion) throw new ConcurrentDrOperationError('changed since read');
    const version = (expectedVersion ?? 0) + 1;
    this.stored = { record, version };
    this.writes.push(record);
    return version;
  }
}

/** Fake ports: what a test sets, and what the watcher did. */
export interface FakeDr {
  readonly ports: DrPorts;
  readonly copies: { readonly primary: MemoryCopy; readonly standby: MemoryCopy };
  probe: ProbeResult;
  switchState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  /** Values written to the switch. */
  readonly switchWrites: boolean[];
  /** Whether the primary's service answers (weights, capacity). */
  primaryDown: boolean;
}

export function fakeDr(): FakeDr {
  const copies = { primary: new MemoryCopy(), standby: new MemoryCopy() };
  const fake: FakeDr = {
    copies,
    probe: { ok: true, status: 200, ms: 12 },
    switchState: 'OK',
    switchWrites: [],
    primaryDown: false,
    ports: undefined as unknown as DrPorts,
  };
  const region = (name: string, copy: MemoryCopy, isPrimary: boolean): RegionService => {
    const up = () => {
      if (isPrimary && fake.primaryDown) throw new Error('connect ETIMEDOUT');
    };
    return {
      region: name,
      record: copy,
      weights: async () => (up(), { blue: 0, green: 100 }),
      image: async (c) => (up(), `baked:web@${c === 'green' ? '2.0.0' : '1.0.0'}`),
      capacity: async () => (up(), { min: 6, max: 10, desired: 6, inService: 6 }),
      scaleTo: async () => undefined,
      restoreDeployedCapacity: async () => undefined,
      health: async () => ({ healthy: 6, total: 6 }),
      firingAlarms: async () => [],
      releaseActivity: async () => ({ inProgress: false, detail: 'no release recorded' }),
    };
  };
  Object.assign(fake, {
    ports: {
      primary: region(PRIMARY, copies.primary, true),
      standby: region(STANDBY, copies.standby, false),
      dnsSwitch: {
        set: async (v: boolean) => {
          fake.switchWrites.push(v);
        },
        state: async () => fake.switchState,
      },
      dns: { answering: async () => 'primary' as const },
      probe: {
        region: async () => fake.probe,
        record: async () => ({ ...fake.probe, servedBy: 'primary' as const }),
      },
      clock: { now: () => 0, sleep: async () => undefined },
      logger: { event: () => undefined },
    } satisfies DrPorts,
  });
  return fake;
}

export function drSection(role: 'primary' | 'standby' = 'standby'): DisasterRecoveryDescriptor {
  return drSectionOf({ primaryRegion: PRIMARY, standbyRegion: STANDBY, role, zoneName: 'example.test' });
}

/** The standby's descriptor (only what the watcher reads is meaningful). */
export function standbyDescriptor(dr: DisasterRecoveryDescriptor | null = drSection()): ServiceDescriptor {
  const colour = (image: string, mode: string) => ({
    targetGroupArn: 'arn:tg',
    targetGroupFullName: 'targetgroup/x/1',
    autoScalingGroupName: 'asg',
    launchTemplateId: 'lt-1',
    image,
    imageId: 'ami-1',
    mode,
    alarms: {},
  });
  return {
    schemaVersion: 1,
    service: 'web',
    region: STANDBY,
    stackName: 'web-standby',
    loadBalancer: { arn: 'arn:lb', fullName: 'app/web/1', dnsName: 'web.elb' },
    production: { listenerArn: 'arn:l', ruleArn: 'arn:r', port: 80, protocol: 'HTTP' },
    test: { listenerArn: 'arn:l2', ruleArn: 'arn:r2', port: 8080, protocol: 'HTTP' },
    topicArn: `arn:aws:sns:${STANDBY}:123456789012:web-notifications`,
    routingIdentity: 'x',
    releaseStateTable: 'web-release-state',
    capacity: { min: 0, max: 10, desired: 0 },
    colours: { blue: colour('baked:web@1.0.0', 'standby'), green: colour('baked:web@2.0.0', 'active') },
    ...(dr ? { disasterRecovery: dr } : {}),
  };
}

export function record(overrides: Partial<DrRecord> = {}): DrRecord {
  return { service: 'web', generation: 4, phase: 'normal', activeRegion: PRIMARY, since: 1_000, ...overrides };
}
