import { retryEvent } from '../aws/aws-faults';
import type { CommandContext } from './command';

/**
 * Print every retry of an AWS call as a warning on stderr while `work` runs, for the commands that do not run the
 * engine (engine commands print them on their progress display). stderr keeps `status --json` one object.
 */
export async function withRetryNotices<T>(ctx: CommandContext, work: () => Promise<T>): Promise<T> {
  const stop = ctx.clients.onRetry((notice) => ctx.out.warn(retryEvent(notice).message));
  try {
    return await work();
  } finally {
    stop();
  }
}
