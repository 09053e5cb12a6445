import { DrTimelineEntry, worstCaseFailoverSeconds } from '../../contract';
import { drCommands } from './messages';
import { CapacitySample, DrillOptions, DrillReport, DrOutcome } from './types';
import { DrEventType } from './events';
import { DrSide } from './ports';
import { errorText } from './private/bounded';
import { DrContext, HEARTBEAT_MS } from './private/context';
import { guarded } from './private/outcome';
import { failbackIn, failoverIn, resumeIn } from './operations';
import { newDrOperationId } from './failover';

/** Time between verification requests during a drill's hold, by default. */
export const DEFAULT_VERIFY_EVERY_MS = 10_000;

/** What a drill measured so far. */
interface DrillRun {
  readonly startedAt: number;
  readonly capacity: CapacitySample[];
  holdChecks: { total: number; ok: number };
  versions: { primary?: string; standby?: string };
  timeline: readonly DrTimelineEntry[];
  drillId: string;
}

/**
 * A drill: a planned failover, a hold that verifies requests through the record every `verifyEveryMs`, a
 * failback, and the report. A failover that does not complete is undone, so a failed drill leaves nothing changed.
 * `newContext` gives a fresh context per operation (each reads the record again).
 */
export async function runDrill(newContext: () => DrContext, options: DrillOptions): Promise<DrillReport> {
  const ctx = newContext();
  const run: DrillRun = { startedAt: ctx.now(), capacity: [], holdChecks: { total: 0, ok: 0 }, versions: {}, timeline: [], drillId: '' };
  const sampler = (side: DrSide, desired: number, healthy: number) => run.capacity.push({ at: ctx.now(), side, desired, healthy });
  ctx.sampler = sampler;
  const failover = await guarded(ctx, 'drill', () => failoverIn(ctx, { trigger: 'cli', outage: false, allowSkew: options.allowSkew }, 'drill'));
  collect(run, failover);
  run.versions = { primary: ctx.store.current?.primaryImage, standby: ctx.lastOperation ? await standbyImage(ctx) : undefined };
  if (failover.result !== 'done') return failedFailover(newContext, ctx, run, failover);

  let why: string | undefined;
  try {
    await hold(ctx, run, options);
  } catch (err) {
    why = `the hold stopped: ${errorText(err)}`;
  }
  // A drill verifies that the standby serves: any request during the hold that it did not serve fails the drill.
  const missed = run.holdChecks.total - run.holdChecks.ok;
  if (!why && missed > 0) why = `${missed} of ${run.holdChecks.total} requests during the hold were not served by the standby`;
  const back = newContext();
  back.sampler = sampler;
  const failback = await guarded(back, 'drill', () => failbackIn(back, { allowSkew: options.allowSkew }, run.drillId));
  collect(run, failback);
  if (failback.result !== 'done') {
    const outcome = `failed: ${why ? `${why}; ` : ''}the failback did not complete (${failback.result}): ${failback.message}`;
    return finish(back, run, outcome, `failed over: the standby serves; run ${drCommands.resume(back.service)} or ${drCommands.failback(back.service)}`);
  }
  const standby = back.store.current?.operation?.standbyColour ?? back.lastOperation?.standbyColour;
  const left = await leftRunning(back, standby);
  return finish(back, run, why ? `failed: ${why}` : 'passed', left);
}

function collect(run: DrillRun, outcome: DrOutcome): void {
  if (outcome.operationId) run.drillId = outcome.operationId;
  if (outcome.timeline.length > run.timeline.length) run.timeline = outcome.timeline;
}

async function standbyImage(ctx: DrContext): Promise<string | undefined> {
  const colour = ctx.lastOperation?.standbyColour;
  if (colour !== 'blue' && colour !== 'green') return undefined;
  try {
    return await ctx.standby.call('image', (s) => s.image(colour));
  } catch {
    return undefined;
  }
}

async function failedFailover(newContext: () => DrContext, ctx: DrContext, run: DrillRun, failover: DrOutcome): Promise<DrillReport> {
  let outcome = `failed: the failover ${failover.result === 'refused' ? 'was refused' : `did not complete (${failover.result})`}: ${failover.message}`;
  let target = ctx;
  if (failover.result === 'failed' || failover.result === 'suspended') {
    target = newContext();
    const undo = await guarded(target, 'resume', () => resumeIn(target, { undo: true }));
    outcome += `; undo: ${undo.result}: ${undo.message}`;
  }
  const changed = target.store.current?.phase !== 'normal';
  const left = changed ? `not normal (${target.store.current?.phase}): run ${drCommands.status(ctx.service)}` : `nothing beyond the deployed standby (${ctx.options.dr.standbyMode})`;
  return finish(target, run, outcome, left);
}

async function hold(ctx: DrContext, run: DrillRun, options: DrillOptions): Promise<void> {
  const every = options.verifyEveryMs ?? DEFAULT_VERIFY_EVERY_MS;
  const start = ctx.now();
  const end = start + options.holdMs;
  let lastBeat = start;
  const colour = ctx.lastOperation?.standbyColour === 'green' ? 'green' : 'blue';
  for (;;) {
    ctx.checkpoint();
    const probe = await ctx.ports.probe.record();
    const ok = probe.ok && probe.servedBy === 'standby';
    run.holdChecks = { total: run.holdChecks.total + 1, ok: run.holdChecks.ok + (ok ? 1 : 0) };
    const health = await ctx.standby.call('target health', (s) => s.health(colour));
    const cap = await ctx.standby.call('capacity', (s) => s.capacity(colour));
    ctx.sampler?.('standby', cap.desired, health.healthy);
    ctx.log(DrEventType.HOLD_CHECK, `hold check ${run.holdChecks.total}: ${ok ? 'ok' : 'FAILED'} (served by ${probe.servedBy}, ${probe.ms} ms); standby ${health.healthy}/${cap.desired} healthy`);
    const remaining = end - ctx.now();
    if (remaining <= 0) return;
    await ctx.clock.sleep(Math.min(every, remaining));
    if (ctx.now() - lastBeat >= HEARTBEAT_MS && ctx.record.operation) {
      await ctx.write({ operation: { ...ctx.record.operation, updatedAt: ctx.now() } });
      lastBeat = ctx.now();
    }
  }
}

async function leftRunning(ctx: DrContext, colour: string | undefined): Promise<string> {
  if (ctx.options.dr.standbyMode === 'pilot-light') return 'pilot light: the standby\'s load balancer only (its colours are back at 0 instances)';
  if (colour !== 'blue' && colour !== 'green') return 'warm standby: its deployed warm capacity';
  try {
    const cap = await ctx.standby.call('capacity', (s) => s.capacity(colour));
    ctx.sampler?.('standby', cap.desired, (await ctx.standby.call('target health', (s) => s.health(colour))).healthy);
    return `warm standby: ${colour} at ${cap.desired} instance(s), its deployed warm size (${ctx.options.dr.standbyCapacityPercent} %)`;
  } catch (err) {
    return `warm standby: ${colour} at its deployed warm size (not read: ${errorText(err)})`;
  }
}

function between(timeline: readonly DrTimelineEntry[], from: string, to: string): number | undefined {
  const a = timeline.find((e) => e.mark === from);
  const b = timeline.find((e) => e.mark === to);
  return a && b ? b.at - a.at : undefined;
}

async function finish(ctx: DrContext, run: DrillRun, outcome: string, left: string): Promise<DrillReport> {
  const dr = ctx.options.dr;
  const finishedAt = ctx.now();
  const recoveryMs = between(run.timeline, 'decision', 'first-success-standby');
  const failbackMs = between(run.timeline, 'failback-decision', 'first-success-primary');
  if (run.drillId) {
    try {
      await ctx.readRecord();
      await ctx.write({ lastDrill: { id: run.drillId, finishedAt, outcome, ...(recoveryMs !== undefined ? { recoveryMs } : {}) } });
    } catch (err) {
      ctx.log(DrEventType.FINISHED, `the drill's summary could not be written to the DR record: ${errorText(err)}`);
    }
  }
  return {
    schemaVersion: 1,
    service: ctx.service,
    drillId: run.drillId || newDrOperationId(run.startedAt),
    primaryRegion: dr.primaryRegion,
    standbyRegion: dr.standbyRegion,
    standbyMode: dr.standbyMode,
    startedAt: run.startedAt,
    finishedAt,
    outcome,
    timeline: run.timeline,
    ...(recoveryMs !== undefined ? { recoveryMs } : {}),
    ...(failbackMs !== undefined ? { failbackMs } : {}),
    worstCaseDnsSeconds: worstCaseFailoverSeconds(dr.dns),
    dns: { ...dr.dns },
    capacity: run.capacity,
    versions: run.versions,
    holdChecks: run.holdChecks,
    leftRunning: left,
  };
}
