import type { Clock } from '../../ports';

/** A Region did not answer in time, or failed: the engine treats it as unreachable. */
export class RegionUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionUnreachableError';
  }
}

/**
 * `call()`, or RegionUnreachableError after `ms` on the engine's clock. The call is not cancelled (ports have no
 * cancellation); its late result is dropped. The clock's timer is not cancelled either: with a system clock a
 * process may stay alive up to `ms` after the last bounded call (the CLI exits explicitly).
 */
export async function bounded<T>(clock: Clock, ms: number, what: string, call: () => Promise<T>): Promise<T> {
  const expired = clock.sleep(ms).then((): never => {
    throw new RegionUnreachableError(`${what}: no answer within ${ms} ms`);
  });
  expired.catch(() => undefined);
  return Promise.race([call(), expired]);
}

/** One line for an error of any kind. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
