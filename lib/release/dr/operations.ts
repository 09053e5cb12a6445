import { DrRecord } from '../../contract';
import { drCommands } from './messages';
import { DrOutcome, FailbackOptions, FailoverOptions, ResumeOptions } from './types';
import { DrEventType } from './events';
import { assessFailover, beginFailover, DRILL_HOLD_STEP, runFailover, undoFailover } from './failover';
import { assessFailback, beginFailback, runFailback, undoFailback } from './failback';
import { DrContext } from './private/context';
import { outcomeOf } from './private/outcome';
import { DR_OPERATION_LEASE_MS } from './watch';

/**
 * The refusal to drive an operation another owner is still driving: its heartbeat is younger than the lease. Two
 * drivers would fight over the switch (one finishing, one undoing) until a compare-and-set write stopped one.
 */
function liveHolder(ctx: DrContext, record: DrRecord, takeOver: boolean): DrOutcome | undefined {
  const op = record.operation;
  if (!op || takeOver || op.owner === ctx.options.owner) return undefined;
  const silentMs = ctx.now() - op.updatedAt;
  if (silentMs > DR_OPERATION_LEASE_MS) return undefined;
  const waitS = Math.ceil((DR_OPERATION_LEASE_MS - silentMs) / 1000);
  return outcomeOf(
    ctx,
    'resume',
    'refused',
    `${op.kind} ${op.id} is being driven by ${op.owner} (heartbeat ${Math.round(silentMs / 1000)} s ago, ${record.phase}, step ${op.step}): ` +
      `wait for it (${drCommands.status(ctx.service)}); if it is gone, run ${drCommands.resume(ctx.service)} in ${waitS} s, or now with --take-over`,
  );
}

/** A failover (or a drill's first half): continue the same kind of operation in the record, or start one. */
export async function failoverIn(ctx: DrContext, options: FailoverOptions, kind: 'failover' | 'drill'): Promise<DrOutcome> {
  const record = await ctx.readRecord();
  if (record.phase === 'failing-over' && record.operation?.kind === kind && kind === 'failover') {
    const busy = liveHolder(ctx, record, false);
    if (busy) return { ...busy, kind };
    ctx.log(DrEventType.RESUMED, `continuing failover ${record.operation.id} from step ${record.operation.step}`);
    if (record.operation.outage) ctx.useOutage();
    return runFailover(ctx);
  }
  const facts = await assessFailover(ctx, record, options);
  if (facts.refused) return outcomeOf(ctx, kind, 'refused', facts.refused);
  const withdrawn = await beginFailover(ctx, options, facts, kind);
  return withdrawn ?? runFailover(ctx);
}

/** A failback (or a drill's second half, `drillId`). */
export async function failbackIn(ctx: DrContext, options: FailbackOptions, drillId?: string): Promise<DrOutcome> {
  const record = await ctx.readRecord();
  if (record.phase === 'failing-back' && record.operation?.kind === 'failback' && drillId === undefined) {
    const busy = liveHolder(ctx, record, false);
    if (busy) return { ...busy, kind: 'failback' };
    ctx.log(DrEventType.RESUMED, `continuing failback ${record.operation.id} from step ${record.operation.step}`);
    return runFailback(ctx);
  }
  const facts = await assessFailback(ctx, record, options, drillId);
  if (facts.refused) return outcomeOf(ctx, drillId ? 'drill' : 'failback', 'refused', facts.refused);
  await beginFailback(ctx, facts);
  return runFailback(ctx);
}

/** Continue or undo the operation in the record. */
export async function resumeIn(ctx: DrContext, options: ResumeOptions): Promise<DrOutcome> {
  const record = await ctx.readRecord();
  const op = record.operation;
  if (!op && !ctx.store.inSync) {
    // A write that reached one Region only: copy the newest record to both, so a later read of either is current.
    await ctx.write({});
  }
  if (!op) return outcomeOf(ctx, 'resume', 'done', `nothing to resume: ${ctx.service} is ${record.phase} with no operation in flight; see ${drCommands.status(ctx.service)}`);
  const busy = liveHolder(ctx, record, options.takeOver ?? false);
  if (busy) return busy;
  if (op.outage) ctx.useOutage();
  const undo = options.undo ?? false;
  ctx.log(undo ? DrEventType.UNDOING : DrEventType.RESUMED, `${undo ? 'undoing' : 'continuing'} ${op.kind} ${op.id} (${record.phase}, step ${op.step}, by ${op.owner})`);
  const outcome = await resumePhase(ctx, record, undo);
  if (op.kind === 'drill' && ctx.store.current?.phase === 'normal' && ctx.store.current.lastDrill?.id !== op.id) {
    await ctx.write({ lastDrill: { id: op.id, finishedAt: ctx.now(), outcome: `failed: interrupted at step ${op.step}; ${undo ? 'undone' : 'finished'} by resume` } });
  }
  return { ...outcome, kind: 'resume' };
}

async function resumePhase(ctx: DrContext, record: DrRecord, undo: boolean): Promise<DrOutcome> {
  const op = record.operation;
  switch (record.phase) {
    case 'failing-over': {
      if (undo) return undoFailover(ctx, 'resume', `${op?.kind} ${op?.id} undone on request`);
      const done = await runFailover(ctx);
      // A drill interrupted before its hold is ended: fail back at once (its measurements are gone).
      if (done.result !== 'done' || op?.kind !== 'drill') return done;
      return failBackDrill(ctx);
    }
    case 'failed-over':
      // Only a drill's hold leaves an operation in `failed-over`: both continuing and undoing it mean failing back.
      if (op?.kind === 'drill' && op.step === DRILL_HOLD_STEP) return failBackDrill(ctx);
      return outcomeOf(ctx, 'resume', 'done', `nothing to resume: ${ctx.service} is failed over; to return run ${drCommands.failback(ctx.service)}`);
    case 'failing-back':
      // Undoing a drill means ending it where it started (normal): its failback is finished, not undone.
      if (op?.kind === 'drill') return runFailback(ctx);
      return undo ? undoFailback(ctx, `${op?.kind} ${op?.id}'s failback undone on request`) : runFailback(ctx);
    default:
      return outcomeOf(ctx, 'resume', 'done', `nothing to resume: ${ctx.service} is ${record.phase}`);
  }
}

async function failBackDrill(ctx: DrContext): Promise<DrOutcome> {
  const record = ctx.record;
  const facts = await assessFailback(ctx, record, {}, record.operation?.id);
  if (facts.refused) return outcomeOf(ctx, 'resume', 'refused', `the drill's failback is refused: ${facts.refused}`);
  await beginFailback(ctx, facts);
  return runFailback(ctx);
}
