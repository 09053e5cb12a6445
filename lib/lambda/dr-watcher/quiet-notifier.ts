import { DrNotifier } from '../../aws/dr';

/** How long a notice with the same subject stays quiet after it was sent. */
export const NOTICE_QUIET_MS = 30 * 60_000;

/**
 * Sends a notice once per subject per quiet period. The watcher ticks every minute: a failover it keeps refusing (a
 * version skew, an unknown primary version) or a tick that keeps failing would otherwise page people every minute
 * with the same words. Kept in the warm function's memory: a cold start may send one more.
 */
export class QuietNotifier implements DrNotifier {
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly inner: DrNotifier,
    private readonly now: () => number = Date.now,
    private readonly quietMs: number = NOTICE_QUIET_MS,
  ) {}

  public async notify(subject: string, message: string): Promise<void> {
    const now = this.now();
    const last = this.sent.get(subject);
    if (last !== undefined && now - last < this.quietMs) return;
    await this.inner.notify(subject, message);
    this.sent.set(subject, now);
  }
}
