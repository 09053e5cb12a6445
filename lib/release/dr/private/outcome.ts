import { ConcurrentDrOperationError } from '../ports';
import { drCommands } from '../messages';
import { DrOutcome, DrResult } from '../types';
import { DrEventType } from '../events';
import { errorText } from './bounded';
import { DeadlineReached, DrContext } from './context';
import { StepFailed } from './step-failed';

/** An outcome from the context's record and operation. */
export function outcomeOf(ctx: DrContext, kind: DrOutcome['kind'], result: DrResult, message: string): DrOutcome {
  const type = result === 'refused' ? DrEventType.REFUSED : DrEventType.FINISHED;
  ctx.log(type, `${kind} ${result}: ${message}`);
  return {
    kind,
    result,
    phase: ctx.store.current?.phase ?? 'normal',
    message,
    ...(ctx.lastOperation ? { operationId: ctx.lastOperation.id } : {}),
    timeline: ctx.lastOperation?.timeline ?? [],
  };
}

/**
 * Run an operation's body and turn what stops it into an outcome: before this process wrote the record nothing
 * changed (refused); after, the record says where it stopped and `resume` continues or undoes it.
 */
export async function guarded(ctx: DrContext, kind: DrOutcome['kind'], body: () => Promise<DrOutcome>): Promise<DrOutcome> {
  try {
    return await body();
  } catch (err) {
    const step = ctx.store.current?.operation?.step;
    const where = step ? ` (stopped after step ${step})` : '';
    const next = `run ${drCommands.resume(ctx.service)} to continue, or ${drCommands.undo(ctx.service)} to go back`;
    if (err instanceof DeadlineReached) return outcomeOf(ctx, kind, 'suspended', `${err.message}${where}: ${next}`);
    if (err instanceof ConcurrentDrOperationError) {
      return outcomeOf(ctx, kind, ctx.wrote ? 'failed' : 'refused', `${err.message}; see ${drCommands.status(ctx.service)}`);
    }
    if (err instanceof StepFailed) return outcomeOf(ctx, kind, 'failed', `${err.message}${where}`);
    if (!ctx.wrote && !ctx.store.current?.operation) return outcomeOf(ctx, kind, 'refused', `${errorText(err)}; nothing was changed`);
    return outcomeOf(ctx, kind, 'failed', `${errorText(err)}${where}: ${next}`);
  }
}
