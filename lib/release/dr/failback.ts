import { ColourName, DrOperation, DrRecord } from '../../contract';
import { drCommands } from './messages';
import { DrOutcome, FailbackOptions } from './types';
import { DrEventType } from './events';
import { errorText } from './private/bounded';
import { DrContext } from './private/context';
import { ensureStandbyCapacity, sampleStandby, switchToPrimary, switchToStandby, waitForAnswer, waitForStandbyHealthy, waitForSuccessThrough } from './private/dns-moves';
import { outcomeOf } from './private/outcome';
import { liveColourIn, readServing, Serving } from './private/serving';
import { StepFailed } from './private/step-failed';
import { newDrOperationId, releaseRefusal, standbyTarget } from './failover';

/** What a failback would do, read now, or why it is refused. */
export interface FailbackAssessment {
  readonly refused?: string;
  readonly primary?: Serving;
  readonly standbyColour?: ColourName;
  readonly standbyImage?: string;
  readonly standbyDesired?: number;
}

/** Read what a failback needs and decide whether it may run (reads only). */
export async function assessFailback(ctx: DrContext, record: DrRecord, options: FailbackOptions, drillId?: string): Promise<FailbackAssessment> {
  const service = ctx.service;
  if (record.phase !== 'failed-over') {
    return { refused: record.phase === 'normal' ? `${service} is not failed over (phase normal): nothing to fail back` : `${service} is ${record.phase}: run ${drCommands.resume(service)} or ${drCommands.undo(service)}` };
  }
  const op = record.operation;
  if (op && !(op.kind === 'drill' && (drillId === undefined || op.id === drillId))) {
    return { refused: `operation ${op.id} (${op.kind}, by ${op.owner}) is in the DR record: run ${drCommands.resume(service)}` };
  }
  let primary: Serving;
  try {
    primary = await readServing(ctx.primary);
  } catch (err) {
    return { refused: `the primary (${ctx.primary.region}) cannot be read (${errorText(err)}): failback needs it healthy; DNS stays on the standby` };
  }
  const { healthy } = primary.health;
  const { desired } = primary.capacity;
  if (desired < 1 || healthy < desired) {
    return { primary, refused: `the primary's ${primary.colour} colour in ${ctx.primary.region} has ${healthy} healthy of ${desired} desired: failback needs it at serving size and fully healthy; scale it up, wait, and run ${drCommands.failback(service)} again` };
  }
  if (primary.firing.length > 0) {
    return { primary, refused: `alarms fire in the primary (${ctx.primary.region}): ${primary.firing.join(', ')}; failback waits until they are OK: run ${drCommands.failback(service)} again then` };
  }
  const standbyColour = await liveColourIn(ctx.standby);
  const standbyImage = await ctx.standby.call('image', (s) => s.image(standbyColour));
  const standbyDesired = (await ctx.standby.call('capacity', (s) => s.capacity(standbyColour))).desired;
  const facts = { primary, standbyColour, standbyImage, standbyDesired };
  if (!options.allowSkew && !ctx.options.dr.allowVersionSkew && primary.image !== standbyImage) {
    return { ...facts, refused: `version skew: the primary serves ${primary.image} but the standby serves ${standbyImage}: deploy the standby's image to the primary, or add ${drCommands.allowSkew} to fail back to the primary's version` };
  }
  const release = await releaseRefusal(ctx, ['primary', 'standby']);
  return release ? { ...facts, refused: release } : facts;
}

/** Write `failing-back` (the failback's decision), continuing a drill's operation when there is one. */
export async function beginFailback(ctx: DrContext, facts: FailbackAssessment): Promise<void> {
  const now = ctx.now();
  const detail = `fail back to ${ctx.primary.region} ${facts.primary?.colour} (${facts.primary?.health.healthy} healthy, serving ${facts.primary?.image})`;
  const held = ctx.record.operation;
  const base: DrOperation = held ?? {
    id: newDrOperationId(now), kind: 'failback', trigger: 'cli', outage: false, owner: ctx.settings.owner, startedAt: now,
    updatedAt: now, step: 'failback-decision', timeline: [],
  };
  const operation: DrOperation = {
    ...base, step: 'failback-decision', updatedAt: now, owner: ctx.settings.owner, standbyColour: facts.standbyColour,
    targetCapacity: Math.max(1, facts.standbyDesired ?? 1), timeline: [...base.timeline, { mark: 'failback-decision', at: now, detail }],
  };
  const seen = facts.primary ? { primaryDesired: facts.primary.capacity.desired, primaryImage: facts.primary.image, primarySeenAt: now } : {};
  await ctx.enterPhase('failing-back', `${operation.kind} ${operation.id}: failing back`, operation, seen);
  ctx.log(DrEventType.STEP, `failback-decision: ${detail}`);
}

/**
 * Carry the failback in the record to `normal`; every step is idempotent, so a resumed failback runs them all
 * again. The standby's capacity is put back only after requests are served by the primary.
 */
export async function runFailback(ctx: DrContext, finalPatch: Partial<DrRecord> = {}): Promise<DrOutcome> {
  const kind = ctx.operation.kind === 'drill' ? 'drill' : 'failback';
  const { colour } = standbyTarget(ctx);
  const service = ctx.service;
  const keepWaiting = `run ${drCommands.resume(service)} to keep waiting, or ${drCommands.undo(service)} to stay failed over`;
  ctx.checkpoint();
  if (!(await switchToPrimary(ctx, `the failback is not done: run ${drCommands.resume(service)} when the primary is healthy, or ${drCommands.undo(service)}`))) {
    throw new StepFailed(`the switch alarm did not leave ALARM within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  }
  await ctx.mark('dns-moved-back', 'switch alarm OK: the primary\'s health check passes again');
  if (!(await waitForAnswer(ctx, 'primary'))) throw new StepFailed(`Route 53 did not answer the primary within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  await ctx.mark('dns-answering-primary', `Route 53 answers ${ctx.primary.region}`);
  if (!(await waitForSuccessThrough(ctx, 'primary'))) throw new StepFailed(`no successful request through the record served by the primary within ${ctx.settings.dnsTimeoutMs / 1000} s: ${keepWaiting}`);
  await ctx.mark('first-success-primary', `a request through ${ctx.options.dr.recordName} was served by ${ctx.primary.region}`);
  await ctx.standby.call('restore capacity', (s) => s.restoreDeployedCapacity(colour));
  await sampleStandby(ctx, colour);
  await ctx.mark('standby-restored', `${ctx.standby.region} ${colour} back to its deployed capacity`);
  await ctx.enterPhase('normal', `${kind} ${ctx.operation.id}: failed back to ${ctx.primary.region}`, undefined, finalPatch);
  return outcomeOf(ctx, kind, 'done', `failed back: ${ctx.primary.region} serves ${ctx.options.dr.recordName}; the standby is back to its deployed capacity`);
}

/**
 * Undo the failback in the record: the standby back to the capacity it served with and healthy, then the switch
 * to the standby again, then `failed-over`.
 */
export async function undoFailback(ctx: DrContext, why: string): Promise<DrOutcome> {
  ctx.log(DrEventType.UNDOING, `undoing the failback: ${why}`);
  const { colour, target } = standbyTarget(ctx);
  const service = ctx.service;
  const finish = `run ${drCommands.resume(service)} to finish the failback instead`;
  await ensureStandbyCapacity(ctx, colour, target);
  if (!(await waitForStandbyHealthy(ctx, colour, target))) {
    throw new StepFailed(`the standby's ${colour} colour did not become healthy again within ${ctx.settings.healthyTimeoutMs / 1000} s, so DNS was not moved back to it: ${finish}`);
  }
  if (!(await switchToStandby(ctx, colour))) throw new StepFailed(`the switch alarm did not read ALARM within ${ctx.settings.dnsTimeoutMs / 1000} s: run ${drCommands.undo(service)} again, or ${finish}`);
  if (!(await waitForAnswer(ctx, 'standby'))) throw new StepFailed(`Route 53 did not answer the standby within ${ctx.settings.dnsTimeoutMs / 1000} s: run ${drCommands.undo(service)} again, or ${finish}`);
  const op = ctx.operation;
  await ctx.enterPhase('failed-over', `failback ${op.id} undone: ${why}`);
  return outcomeOf(ctx, 'failback', 'undone', `${why}; the failback was undone: DNS answers the standby again (latched); to return run ${drCommands.failback(service)}`);
}

