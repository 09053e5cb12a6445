import { hookIdempotencyKey, HookEvent, HookPointName } from '../../lib/contract';
import { ReleaseHook } from '../../lib/release/ports';

/** A hook as the engine passes it. */
export function hookOf(name: string, kind: ReleaseHook['kind'], overrides: Partial<ReleaseHook> = {}): ReleaseHook {
  return { name, kind, point: 'step', timeoutMs: 5_000, retries: 0, contract: false, ...overrides };
}

/** The event of `hook` at step 2 of 3 of release r-1 of `web` (green over blue). */
export function eventOf(hook: ReleaseHook, overrides: Partial<HookEvent> = {}): HookEvent {
  const point: HookPointName = hook.point;
  const step = point === 'step' ? 2 : undefined;
  return {
    service: 'web',
    releaseId: 'r-1',
    point,
    hook: hook.name,
    idempotencyKey: hookIdempotencyKey('r-1', hook.name, point, step),
    attempt: 1,
    ...(step !== undefined ? { step } : {}),
    steps: 3,
    weights: { blue: 50, green: 50 },
    colours: { stable: 'blue', candidate: 'green' },
    images: { stable: 'ami-blue', candidate: 'ami-green' },
    contract: hook.contract,
    ...overrides,
  };
}
