import { ColourName, DrOperation, DrRecord } from '../../contract';
import { drCommands } from './messages';
import { FailoverOptions, DrOutcome } from './types';
import { DrEventType } from './events';
import { errorText } from './private/bounded';
import { DrContext } from './private/context';
import { ensureStandbyCapacity, switchToPrimary, switchToStandby, waitForAnswer, waitForStandbyHealthy, waitForSuccessThrough } from './private/dns-moves';
import { outcomeOf } from './private/outcome';
import { liveColourIn, readServing, Serving } from './private/serving';
import { StepFailed } from './private/step-failed';

/** Steps of a failover, in order; `operation.step` names the last one done. */
export const FAILOVER_STEPS = ['decision', 'capacity-requested', 'standby-healthy', 'dns-moved', 'dns-answering-standby', 'first-success-standby'] as const;

/** Step of a drill's operation while it holds, failed over. */
export const DRILL_HOLD_STEP = 'holding';

/** What a failover would do, read now, or why it is refused. */
export interface FailoverAssessment {
  readonly refused?: string;
  readonly standbyColour?: ColourName;
  readonly standbyImage?: string;
  readonly standbyDesired?: number;
  readonly standbyMax?: number;
  /** The primary's live image: read now, else the record's last known one. */
  readonly primaryImage?: string;
  readonly primaryImageFrom?: 'now' | 'record';
  /** The primary's live colour desired capacity: read now, else the record's, else the standby group's max. */
  readonly primaryDesired?: number;
  readonly primaryDesiredFrom?: 'now' | 'record' | 'standby-max';
  readonly targetCapacity?: number;
  /** The primary, when it was read now. */
  readonly primary?: Serving;
}

/** Why a record's phase refuses a new failover, with the command that fits. */
export function failoverPhaseRefusal(record: DrRecord, service: string): string | undefined {
  switch (record.phase) {
    case 'normal':
      return undefined;
    case 'failed-over':
      return `${service} is already failed over to ${record.activeRegion}; to return run ${drCommands.failback(service)}`;
    default:
      return `${service} is ${record.phase} (operation ${record.operation?.id ?? '?'} by ${record.operation?.owner ?? '?'}, step ${record.operation?.step ?? '?'}): run ${drCommands.resume(service)} or ${drCommands.undo(service)}`;
  }
}

/** Read what a failover needs and decide whether it may run (reads only). */
export async function assessFailover(ctx: DrContext, record: DrRecord, options: FailoverOptions): Promise<FailoverAssessment> {
  const service = ctx.service;
  const phase = failoverPhaseRefusal(record, service);
  if (phase) return { refused: phase };
  let primary: Serving | undefined;
  let primaryError: string | undefined;
  try {
    primary = await readServing(ctx.primary);
  } catch (err) {
    primaryError = errorText(err);
  }
  if (!options.outage && !primary) {
    return { refused: `the primary (${ctx.primary.region}) cannot be read (${primaryError}): a planned failover needs it; in a real outage run ${drCommands.outageFailover(service)}` };
  }
  const release = await releaseRefusal(ctx, options.outage ? ['standby'] : ['primary', 'standby']);
  if (release) return { refused: release };
  let standbyColour: ColourName;
  try {
    standbyColour = await liveColourIn(ctx.standby);
  } catch (err) {
    return { refused: `the standby cannot be read (${errorText(err)}); nothing was changed` };
  }
  const standbyImage = await ctx.standby.call('image', (s) => s.image(standbyColour));
  const standbyCap = await ctx.standby.call('capacity', (s) => s.capacity(standbyColour));
  const primaryImage = primary?.image ?? record.primaryImage;
  const primaryImageFrom = primary ? 'now' : record.primaryImage !== undefined ? 'record' : undefined;
  const primaryDesired = primary?.capacity.desired ?? record.primaryDesired ?? standbyCap.max;
  const primaryDesiredFrom = primary ? 'now' : record.primaryDesired !== undefined ? 'record' : 'standby-max';
  const percent = ctx.options.dr.failoverCapacityPercent;
  const targetCapacity = Math.min(standbyCap.max, Math.max(1, Math.ceil((percent * primaryDesired) / 100)));
  const facts: FailoverAssessment = {
    standbyColour, standbyImage, standbyDesired: standbyCap.desired, standbyMax: standbyCap.max,
    primaryImage, primaryImageFrom, primaryDesired, primaryDesiredFrom, targetCapacity, primary,
  };
  if (standbyCap.max < 1) {
    return { ...facts, refused: `the standby's ${standbyColour} group in ${ctx.standby.region} has max 0: it cannot scale up; deploy the standby with maxCapacity at the primary's size` };
  }
  // The stack may allow it for every failover (RegionalFailover's allowVersionSkew), the watcher's included.
  const command = options.outage ? drCommands.outageFailover(service) : drCommands.failover(service);
  const skew = skewRefusal(command, standbyImage, primaryImage, primaryImageFrom, (options.allowSkew ?? false) || ctx.options.dr.allowVersionSkew);
  return skew ? { ...facts, refused: skew } : facts;
}

function skewRefusal(command: string, standbyImage: string, primaryImage: string | undefined, from: string | undefined, allowSkew: boolean): string | undefined {
  if (allowSkew) return undefined;
  if (primaryImage === undefined) {
    return (
      `the primary's version is unknown: it cannot be read, and the DR record holds none (the standby's watcher records it every 5 minutes while the primary answers). ` +
      `The standby serves ${standbyImage}; if that is what the primary served, run ${command} ${drCommands.allowSkew}`
    );
  }
  if (primaryImage !== standbyImage) {
    return `version skew: the standby serves ${standbyImage} but the primary serves ${primaryImage} (${from === 'now' ? 'read now' : 'last known'}): deploy that image to the standby, or add ${drCommands.allowSkew} to serve the standby's version`;
  }
  return undefined;
}

/** A release in progress in one of `sides`, as a refusal. */
export async function releaseRefusal(ctx: DrContext, sides: readonly ('primary' | 'standby')[]): Promise<string | undefined> {
  for (const side of sides) {
    const link = ctx.link(side);
    const activity = await link.call('release record', (s) => s.releaseActivity());
    if (activity.inProgress) {
      return `a release is in progress in ${link.region} (${side}): ${activity.detail}; a planned failover or drill waits for it: let it finish or abort it, then run again`;
    }
  }
  return undefined;
}

/** A new operation id: time-ordered, with a random suffix. */
export function newDrOperationId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `dr-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Write `failing-over` with a new operation (the decision), then, for a planned one, check the release records
 * again: a release that started at the same moment sees this record, and this one sees it.
 *
 * @returns a refusal outcome, or undefined when the failover may go on
 */
export async function beginFailover(ctx: DrContext, options: FailoverOptions, facts: FailoverAssessment, kind: 'failover' | 'drill'): Promise<DrOutcome | undefined> {
  const now = ctx.now();
  const detail = `${options.outage ? 'outage' : 'planned'} ${kind} by ${options.trigger}: ${ctx.standby.region} ${facts.standbyColour} to ${facts.targetCapacity} instances (${ctx.options.dr.failoverCapacityPercent} % of ${facts.primaryDesired}, from ${facts.primaryDesiredFrom}), serving ${facts.standbyImage}`;
  const operation: DrOperation = {
    id: newDrOperationId(now), kind, trigger: options.trigger, outage: options.outage, owner: ctx.settings.owner,
    startedAt: now, updatedAt: now, step: 'decision', standbyColour: facts.standbyColour, targetCapacity: facts.targetCapacity,
    timeline: [{ mark: 'decision', at: now, detail }],
  };
  const seen = facts.primary ? { primaryDesired: facts.primary.capacity.desired, primaryImage: facts.primary.image, primarySeenAt: now } : {};
  await ctx.enterPhase('failing-over', `${kind} started by ${options.trigger}`, operation, { ...seen, watcherFailures: 0 });
  ctx.log(DrEventType.STEP, `decision: ${detail}`);
  if (options.outage) return undefined;
  const release = await releaseRefusal(ctx, ['primary', 'standby']);
  if (!release) return undefined;
  await ctx.enterPhase('normal', `failover withdrawn: ${release}`);
  return outcomeOf(ctx, kind === 'drill' ? 'drill' : 'failover', 'refused', release);
}

function stepIndex(step: string): number {
  return (FAILOVER_STEPS as readonly string[]).indexOf(step);
}

/**
 * Carry the failover in the record to `failed-over`, from wherever it stopped: every step is idempotent
 * (capacity is only raised, the switch set again, waits return at once when already true), so a resumed failover
 * runs them all again and the timeline keeps each mark's first time.
 */
export async function runFailover(ctx: DrContext): Promise<DrOutcome> {
  const op = ctx.operation;
  const kind = op.kind === 'drill' ? 'drill' : 'failover';
  const { colour, target } = standbyTarget(ctx);
  ctx.checkpoint();
  await ctx.mark('capacity-requested', await ensureStandbyCapacity(ctx, colour, target));
  if (!(await waitForStandbyHealthy(ctx, colour, target))) {
    return undoFailover(ctx, kind, `the standby's ${colour} colour in ${ctx.standby.region} did not reach ${target} healthy targets with no firing alarm within ${Math.round(ctx.settings.healthyTimeoutMs / 1000)} s`);
  }
  await ctx.mark('standby-healthy', `${target} healthy targets in ${ctx.standby.region} ${colour}`);
  const keepWaiting = `run ${drCommands.resume(ctx.service)} to keep waiting, or ${drCommands.undo(ctx.service)} to go back`;
  if (!(await switchToStandby(ctx, colour))) throw new StepFailed(`the switch was set but its alarm did not read ALARM within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  await ctx.mark('dns-moved', 'switch alarm in ALARM: the primary\'s health check fails');
  if (!(await waitForAnswer(ctx, 'standby'))) throw new StepFailed(`Route 53 did not answer the standby within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  await ctx.mark('dns-answering-standby', `Route 53 answers ${ctx.standby.region}`);
  if (!(await waitForSuccessThrough(ctx, 'standby'))) throw new StepFailed(`no successful request through the record served by the standby within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  await ctx.mark('first-success-standby', `a request through ${ctx.options.dr.recordName} was served by ${ctx.standby.region}`);
  const current = ctx.operation;
  const holding = current.kind === 'drill' ? { ...current, step: DRILL_HOLD_STEP, updatedAt: ctx.now() } : undefined;
  await ctx.enterPhase('failed-over', `${kind} ${current.id}: DNS answers ${ctx.standby.region}`, holding);
  // A drill goes on to hold and fail back itself: telling its operator to run failback would be wrong.
  const then = kind === 'drill' ? 'the drill holds there, then fails back' : `to return run ${drCommands.failback(ctx.service)}`;
  return outcomeOf(ctx, kind, 'done', `failed over: ${ctx.standby.region} serves ${ctx.options.dr.recordName} (latched); ${then}`);
}

/**
 * Undo the failover in the record: DNS back first (only onto a primary with healthy targets), then the standby's
 * capacity, then `normal`. When the switch may have been set and the primary cannot take traffic, nothing is
 * undone: DNS stays where it serves.
 */
export async function undoFailover(ctx: DrContext, kind: DrOutcome['kind'], why: string): Promise<DrOutcome> {
  ctx.log(DrEventType.UNDOING, `undoing the failover: ${why}`);
  const op = ctx.operation;
  const maybeSwitched = stepIndex(op.step) >= stepIndex('standby-healthy') || (await ctx.ports.dnsSwitch.state()) === 'ALARM';
  if (maybeSwitched) {
    const keeps = `the standby keeps its capacity; ${why ? `(${why}) ` : ''}run ${drCommands.resume(ctx.service)} to finish the failover`;
    if (!(await switchToPrimary(ctx, keeps))) throw new StepFailed(`the switch alarm did not leave ALARM within ${ctx.settings.dnsTimeoutMs / 1000} s; the standby keeps its capacity: run ${drCommands.undo(ctx.service)} again`);
    if (!(await waitForAnswer(ctx, 'primary'))) throw new StepFailed(`Route 53 did not answer the primary within ${ctx.settings.dnsTimeoutMs / 1000} s; the standby keeps its capacity: run ${drCommands.undo(ctx.service)} again`);
  }
  if (op.standbyColour) {
    const colour = op.standbyColour as ColourName;
    await ctx.standby.call('restore capacity', (s) => s.restoreDeployedCapacity(colour));
  }
  await ctx.enterPhase('normal', `failover ${op.id} undone: ${why}`);
  return outcomeOf(ctx, kind, 'undone', `${why}; the failover was undone: DNS answers the primary and the standby is back to its deployed capacity`);
}

/** The standby colour and capacity target the operation recorded. */
export function standbyTarget(ctx: DrContext): { colour: ColourName; target: number } {
  const op = ctx.operation;
  if (op.standbyColour !== 'blue' && op.standbyColour !== 'green') throw new Error(`the DR operation ${op.id} records no standby colour (${JSON.stringify(op.standbyColour)})`);
  return { colour: op.standbyColour, target: Math.max(1, op.targetCapacity ?? 1) };
}
