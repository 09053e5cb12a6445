import { Clock } from '../release/ports';

/** Wall-clock time and real sleeps. */
export class SystemClock implements Clock {
  public now(): number {
    return Date.now();
  }

  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}
