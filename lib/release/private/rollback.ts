import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { ConcurrentReleaseError, ReleaseState, Weights } from '../ports';
import { allTo, formatWeights } from '../weights';
import { compact, EngineContext } from './context';
import { pointTestRoute, setAndVerify } from './traffic';

/** The release record moved on while a running release tried to roll itself back. */
export class Preempted extends Error {
  constructor() {
    super('preempted');
    this.name = 'Preempted';
  }
}

/** What to roll back and how to report it. */
export interface RollbackCall {
  /** Status to record. */
  readonly status: 'rolled-back' | 'aborted';
  /** Recorded reason. */
  readonly reason: string;
  /** Exit code of a verified rollback: 0 for the rollback and abort commands, 1 for a release that failed. */
  readonly exitCode: number;
  /** A running release: roll back only while the record is at this version, else throw `Preempted`. */
  readonly expectedVersion?: number;
  /** Refuse unless a release is in progress (abort). */
  readonly inProgressOnly: boolean;
  /** Whether a promoted release whose old colour is still ready may be rolled back. */
  readonly allowAfterPromotion: boolean;
  /** 1-based failed step, for the outcome. */
  readonly failedStep?: number;
}

/** Attempts of read, set, verify before a rollback reports failure. */
const ROLLBACK_ATTEMPTS = 3;

/**
 * Send 100 % back to the last good colour (the record's `stable`) and verify.
 *
 * A release in progress: read the record, set the weights in one call, read them back (verified 100 % after 3
 * calls), point the test route at the candidate, then compare-and-set the record. A running release that loses that
 * compare-and-set restores what the winning record says. A promoted release (old colour still ready): the record is
 * written first, so that a concurrent `scaleDown` (which clears `scaleDownAt` before scaling) cannot put the old
 * colour in standby under the rollback. A record already rolled back or aborted: the weights and test route are set
 * again (idempotent), so a crashed rollback is finished by running it again.
 */
export async function rollBack(ctx: EngineContext, call: RollbackCall): Promise<ReleaseOutcome> {
  let seen: Weights | undefined;
  for (let attempt = 1; attempt <= ROLLBACK_ATTEMPTS; attempt++) {
    const current = await ctx.ports.state.read();
    if (call.expectedVersion !== undefined && current?.version !== call.expectedVersion) throw new Preempted();
    if (!current) return refuse(ctx, `No release recorded for ${ctx.opts.service}: nothing to roll back. To send all traffic to one colour, run promote with a colour.`);
    const s = current.state;
    const refusal = await refusalFor(ctx, s, call);
    if (refusal) return refuse(ctx, refusal, s);

    const target = allTo(s.stable);
    const terminal = compact({ ...s, status: call.status, reason: call.reason, owner: ctx.opts.owner, updatedAt: ctx.now(), scaleDownAt: undefined });
    ctx.emit(ReleaseEventType.ROLLBACK_STARTED, `Rolling back ${s.releaseId} to ${s.stable}: ${call.reason}`, { weights: target });
    const fenceFirst = s.status === 'succeeded';
    if (fenceFirst && !(await tryWrite(ctx, terminal, current.version, call))) continue;
    seen = await setAndVerify(ctx, target);
    if (seen) continue;
    await pointTestRoute(ctx, s.candidate);
    const recorded = fenceFirst || s.status !== 'in-progress' || (await tryWrite(ctx, terminal, current.version, call));
    if (!recorded) continue;

    const state = s.status === 'rolled-back' || s.status === 'aborted' ? s : terminal;
    const again = state === s ? ` (it was already ${s.status}; weights set again)` : '';
    const message = `${call.status === 'aborted' ? 'Aborted' : 'Rolled back'} ${s.releaseId}: ${s.stable} holds 100 % (verified)${again}. Reason: ${call.reason}.`;
    ctx.emit(call.status === 'aborted' ? ReleaseEventType.ABORTED : ReleaseEventType.ROLLED_BACK, message, { weights: target });
    return { status: call.status, exitCode: call.exitCode, message, releaseId: s.releaseId, state, weights: target, failedStep: call.failedStep };
  }
  const message =
    `Rollback not verified after ${ROLLBACK_ATTEMPTS} attempts` +
    `${seen ? `: weights read back as ${formatWeights(seen)}` : ': the release record kept changing'}. ` +
    'Check the production listener rule and run rollback again.';
  ctx.emit(ReleaseEventType.ROLLBACK_FAILED, message, { weights: seen });
  return { status: 'failed', exitCode: 1, message, failedStep: call.failedStep };
}

/** Compare-and-set; false when someone else wrote first (try again), `Preempted` for a running release. */
async function tryWrite(ctx: EngineContext, state: ReleaseState, version: number, call: RollbackCall): Promise<boolean> {
  try {
    await ctx.ports.state.write(state, version);
    return true;
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    if (call.expectedVersion !== undefined) throw new Preempted();
    return false;
  }
}

async function refusalFor(ctx: EngineContext, s: ReleaseState, call: RollbackCall): Promise<string | undefined> {
  if (s.status === 'in-progress') return undefined;
  const last = `${ctx.opts.service} has no release in progress (last: ${s.releaseId}, ${s.status})`;
  if (call.inProgressOnly) return `${last}; nothing to abort.`;
  if (s.status !== 'succeeded') return undefined;
  if (!call.allowAfterPromotion) return `${last}; rolling back a promoted release is not allowed here.`;
  if (s.scaleDownAt === undefined) {
    return `${last}, and ${s.stable} has been scaled down: nothing warm to roll back to. Deploy the previous image to ${s.stable} and release it.`;
  }
  const health = await ctx.ports.health.count(s.stable);
  if (health.healthy === 0) {
    return (
      `${last}; ${s.stable} has ${health.healthy}/${health.total} healthy targets, so a rollback would send traffic to a ` +
      `target group that fails open. Fix ${s.stable} first.`
    );
  }
  return undefined;
}

function refuse(ctx: EngineContext, message: string, state?: ReleaseState): ReleaseOutcome {
  ctx.emit(ReleaseEventType.REFUSED, message);
  return { status: 'refused', exitCode: 1, message, releaseId: state?.releaseId, state };
}
