/**
 * One tick of the standby's watcher, with everything it acts through passed in (the decision and the engine too),
 * so that it is tested without AWS and without the engine: index.ts wires the real ones.
 */
import { DisasterRecoveryDescriptor, DrRecord, ServiceDescriptor } from '../../contract';
import { DrEvent, DrPorts, VersionedDrRecord } from '../../release/dr/ports';
import { DrEngineOptions, DrOutcome, FailoverOptions, ResumeOptions, WatchDecision, WatchInput } from '../../release/dr/types';
import { DrNotifier } from '../../aws/dr';

/** Owner the watcher writes into the DR record. */
export const WATCHER_OWNER = 'watcher';

/** The watcher stops an operation at its next safe point this long after the tick started (Lambda's limit: 15 min). */
export const WATCHER_DEADLINE_MS = 13 * 60_000;

/** Poll interval of a failover the watcher drives. */
export const WATCHER_POLL_MS = 1_000;

/** Longest wait on the primary Region's copy of the DR record: an outage must not hold the tick. */
export const PRIMARY_READ_TIMEOUT_MS = 3_000;

/** How often a watcher refreshes the primary's last known desired capacity and image while the primary answers. */
export const PRIMARY_REFRESH_MS = 5 * 60_000;

/** What the engine is to the watcher. */
export interface WatcherEngine {
  failover(options: FailoverOptions): Promise<DrOutcome>;
  resume(options?: ResumeOptions): Promise<DrOutcome>;
}

/** What a tick works with. */
export interface WatchTickDeps {
  readonly service: string;
  /** The standby's own descriptor (cached between ticks by the caller). */
  readonly descriptor: ServiceDescriptor;
  /** The DR ports; their logger must hand events to `onEvent`. */
  readonly ports: DrPorts;
  /** `decideWatch` of lib/release/dr. */
  decide(input: WatchInput): WatchDecision;
  /** A `DrEngine` on the same ports. */
  engine(options: DrEngineOptions): WatcherEngine;
  readonly notifier: DrNotifier;
  /**
   * State of the primary's health alarm (its load balancer's 5xx), read in the primary Region, best effort: Route 53
   * fails over on it, so the watcher counts it as a failed probe. Undefined, or a read that fails, leaves the HTTP
   * probe to decide.
   *
   * @default - not read
   */
  readonly primaryHealthAlarm?: () => Promise<string>;
  /**
   * Longest wait on the primary's copy of the record, ms.
   *
   * @default PRIMARY_READ_TIMEOUT_MS
   */
  readonly primaryReadTimeoutMs?: number;
  /**
   * Consecutive failed probes before failing over.
   *
   * @default - the descriptor's DNS failure threshold
   */
  readonly failureThreshold?: number;
}

/** What a tick did: its one log line. */
export interface TickResult {
  readonly service: string;
  readonly action: WatchDecision['action'] | 'error';
  readonly reason: string;
  readonly primaryProbe?: WatchInput['primaryProbe'];
  readonly switchState?: WatchInput['switchState'];
  readonly phase?: string;
  readonly generation?: number;
  readonly watcherFailures?: number;
  /** Regions whose copy of the record was read. */
  readonly recordRegions?: readonly string[];
  readonly outcome?: { readonly result: string; readonly phase: string; readonly message: string; readonly operationId?: string };
  /** What a write or a notice that failed said (the tick itself went on). */
  readonly warnings?: readonly string[];
}

/** The standby's `disasterRecovery` section, or why the watcher must not act. */
export function standbySection(descriptor: ServiceDescriptor): DisasterRecoveryDescriptor {
  const dr = descriptor.disasterRecovery;
  if (!dr) {
    throw new Error(`The descriptor of ${descriptor.service} in ${descriptor.region} has no disasterRecovery section: the watcher has nothing to watch. Redeploy the standby with RegionRole.standby.`);
  }
  if (dr.role !== 'standby' || dr.standbyRegion !== descriptor.region) {
    throw new Error(
      `The watcher runs in ${descriptor.region}, but the descriptor says that Region is the ${dr.role} (standby: ${dr.standbyRegion}). ` +
        'The watcher belongs to the standby\'s stack only: redeploy.',
    );
  }
  return dr;
}

/**
 * One tick: read the record (the standby's copy, the primary's at best), probe the primary, read the switch, decide,
 * act. Never moves traffic on an error: any failure before the decision is acted on ends the tick as `error`.
 */
export async function watchTick(deps: WatchTickDeps, now: number): Promise<TickResult> {
  const { ports, service } = deps;
  const dr = standbySection(deps.descriptor);
  const [read, probe, switchState] = await Promise.all([readNewest(deps), probePrimary(deps), ports.dnsSwitch.state()]);
  const record = read.newest;
  const input: WatchInput = { now, record, primaryProbe: probe, failureThreshold: deps.failureThreshold ?? dr.dns.failureThreshold, switchState };
  const decision = deps.decide(input);
  const seen = {
    service,
    action: decision.action,
    reason: decision.reason,
    primaryProbe: probe,
    switchState,
    phase: record?.phase,
    generation: record?.generation,
    watcherFailures: record?.watcherFailures ?? 0,
    recordRegions: read.regions,
  };
  const warnings: string[] = [];
  const act = await actOn(decision, deps, dr, read, now, input, warnings);
  return { ...seen, ...act, ...(warnings.length ? { warnings } : {}) };
}

/** What acting changed in the tick's line. */
type Acted = Partial<Pick<TickResult, 'outcome' | 'watcherFailures' | 'generation'>>;

async function actOn(
  decision: WatchDecision,
  deps: WatchTickDeps,
  dr: DisasterRecoveryDescriptor,
  read: NewestRecord,
  now: number,
  input: WatchInput,
  warnings: string[],
): Promise<Acted> {
  const { service, ports } = deps;
  const primaryOk = input.primaryProbe.ok;
  // Polls every second, as the CLI does: at the engine's 5 s the four waits of a failover could add 20 s (bench).
  const engineOptions: DrEngineOptions = { service, owner: WATCHER_OWNER, dr, deadlineAt: now + WATCHER_DEADLINE_MS, pollMs: WATCHER_POLL_MS };
  switch (decision.action) {
    case 'count-failure':
      return writeCounter(deps, dr, read, now, (read.newest?.watcherFailures ?? 0) + 1, warnings);
    case 'reset-failures':
      return writeCounter(deps, dr, read, now, 0, warnings, primaryOk);
    case 'none':
      if (primaryOk && needsRefresh(read.newest, now)) return writeCounter(deps, dr, read, now, 0, warnings, true);
      return {};
    case 'latch':
      await ports.dnsSwitch.set(true);
      // Every tick rewrites the switch while failed over; people hear of it only when it had not read ALARM.
      if (input.switchState === 'ALARM') return {};
      await notify(deps, `${service}: DR switch latched to the standby`, `bluegreen DR: ${service} is failed over to ${dr.standbyRegion} but the drill switch read ${input.switchState}; the watcher set it again (${decision.reason}).`, warnings);
      return {};
    case 'failover': {
      const outcome = await deps.engine(engineOptions).failover({ trigger: 'watcher', outage: true });
      await notify(deps, `${service}: failover to ${dr.standbyRegion} ${outcome.result}`, `bluegreen DR: the watcher in ${dr.standbyRegion} failed ${service} over (${decision.reason}): ${outcome.result}, phase ${outcome.phase}. ${outcome.message}`, warnings);
      return { outcome: outcomeOf(outcome) };
    }
    case 'resume': {
      const outcome = await deps.engine(engineOptions).resume();
      if (outcome.result !== 'done') {
        await notify(deps, `${service}: DR resume ${outcome.result}`, `bluegreen DR: the watcher in ${dr.standbyRegion} resumed ${service}'s interrupted operation (${decision.reason}): ${outcome.result}, phase ${outcome.phase}. ${outcome.message}`, warnings);
      }
      return { outcome: outcomeOf(outcome) };
    }
  }
}

function outcomeOf(o: DrOutcome): NonNullable<TickResult['outcome']> {
  return { result: o.result, phase: o.phase, message: o.message, ...(o.operationId ? { operationId: o.operationId } : {}) };
}

/** The newest record readable, the standby's copy (to write back), and where it was read. */
interface NewestRecord {
  readonly newest?: DrRecord;
  readonly standby?: VersionedDrRecord;
  readonly regions: readonly string[];
}

/**
 * The standby's copy (must be readable: the watcher runs there) and the primary's at best, within a short timeout.
 * The newest is the one of highest generation.
 */
async function readNewest(deps: WatchTickDeps): Promise<NewestRecord> {
  const { ports } = deps;
  const [standby, primary] = await Promise.all([
    ports.standby.record.read(),
    withTimeout(ports.primary.record.read(), deps.primaryReadTimeoutMs ?? PRIMARY_READ_TIMEOUT_MS).catch(() => null),
  ]);
  const regions = [ports.standby.region, ...(primary !== null ? [ports.primary.region] : [])];
  const candidates = [standby?.record, primary?.record].filter((r): r is DrRecord => r !== undefined);
  const newest = candidates.sort((a, b) => b.generation - a.generation)[0];
  return { newest, standby, regions };
}

/** One probe of the primary's Region record, as the decision takes it. */
/** The primary fails a tick's probe when its health path does not answer 2xx or its health alarm fires. */
async function probePrimary(deps: WatchTickDeps): Promise<WatchInput['primaryProbe']> {
  const [r, alarm] = await Promise.all([
    deps.ports.probe.region('primary'),
    deps.primaryHealthAlarm ? deps.primaryHealthAlarm().catch((e: Error) => `unread (${e.message})`) : Promise.resolve(undefined),
  ]);
  const detail = r.status !== undefined ? `HTTP ${r.status} in ${r.ms} ms` : `${r.error ?? 'no answer'} after ${r.ms} ms`;
  if (alarm === 'ALARM') return { ok: false, detail: `${detail}, but its health alarm (load balancer 5xx) is in ALARM` };
  return { ok: r.ok, detail: alarm && alarm !== 'OK' ? `${detail}; health alarm ${alarm}` : detail };
}

/** Whether the primary's last known capacity and image are missing or older than PRIMARY_REFRESH_MS. */
function needsRefresh(record: DrRecord | undefined, now: number): boolean {
  if (record && record.phase !== 'normal') return false;
  return record?.primarySeenAt === undefined || now - record.primarySeenAt >= PRIMARY_REFRESH_MS;
}

/**
 * Write the failure counter to the standby's copy (generation + 1), and, while the primary answers, what it serves
 * (its live colour's desired capacity and image): the failover's capacity is a percentage of it. Only in `normal`;
 * a write that loses a race is left to the next tick.
 */
async function writeCounter(
  deps: WatchTickDeps,
  dr: DisasterRecoveryDescriptor,
  read: NewestRecord,
  now: number,
  failures: number,
  warnings: string[],
  refreshPrimary = false,
): Promise<Acted> {
  const base: DrRecord = read.newest ?? { service: deps.service, generation: 0, phase: 'normal', activeRegion: dr.primaryRegion, since: now };
  if (base.phase !== 'normal') return {};
  const primary = refreshPrimary ? await primarySeen(deps, now, warnings) : {};
  const next: DrRecord = { ...base, generation: base.generation + 1, watcherFailures: failures, ...primary };
  try {
    await deps.ports.standby.record.write(next, read.standby?.version);
    return { watcherFailures: failures, generation: next.generation };
  } catch (e) {
    warnings.push(`the DR record was not written: ${(e as Error).message}`);
    return {};
  }
}

/** The primary's live colour's desired capacity and image now, or nothing when it cannot be read in time. */
async function primarySeen(deps: WatchTickDeps, now: number, warnings: string[]): Promise<Pick<DrRecord, 'primaryDesired' | 'primaryImage' | 'primarySeenAt'>> {
  const primary = deps.ports.primary;
  try {
    const read = async () => {
      const w = await primary.weights();
      const live = w.green > w.blue ? 'green' : 'blue';
      const [capacity, image] = await Promise.all([primary.capacity(live), primary.image(live)]);
      return { primaryDesired: capacity.desired, primaryImage: image, primarySeenAt: now };
    };
    return await withTimeout(read(), deps.primaryReadTimeoutMs ?? PRIMARY_READ_TIMEOUT_MS);
  } catch (e) {
    warnings.push(`the primary's capacity was not refreshed: ${(e as Error).message}`);
    return {};
  }
}

/** Publish a notice; a failure to publish is a warning, never the tick's failure. */
async function notify(deps: WatchTickDeps, subject: string, message: string, warnings: string[]): Promise<void> {
  try {
    await deps.notifier.notify(subject, message);
  } catch (e) {
    warnings.push(`the notice was not published: ${(e as Error).message}`);
  }
}

/** `work`, or a rejection after `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** An engine event as the tick's line lists it. */
export function eventLine(e: DrEvent): string {
  return `${new Date(e.at).toISOString()} ${e.region ? `[${e.region}] ` : ''}${e.type}: ${e.message}`;
}
