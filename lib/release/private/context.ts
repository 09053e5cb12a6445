import { ReleaseEventType } from '../events';
import { ResolvedOptions } from '../options';
import { ReleasePorts, ReleaseState, Weights } from '../ports';

/** Fields an event may carry besides its type and message. */
export interface EventExtra {
  readonly weights?: Weights;
  readonly step?: number;
  readonly steps?: number;
}

/** Ports, options and event output, shared by the engine's procedures. */
export class EngineContext {
  constructor(
    public readonly ports: ReleasePorts,
    public readonly opts: ResolvedOptions,
  ) {}

  public now(): number {
    return this.ports.clock.now();
  }

  public emit(type: ReleaseEventType, message: string, extra: EventExtra = {}): void {
    this.ports.logger.event({ type, message, at: this.now(), ...extra });
  }
}

/**
 * A copy of `state` without optional fields whose value is undefined: a stored record has no `undefined`
 * attributes (DynamoDB's marshaller rejects them unless told otherwise).
 */
export function compact(state: ReleaseState): ReleaseState {
  const copy: { -readonly [K in keyof ReleaseState]: ReleaseState[K] } = { ...state };
  if (copy.reason === undefined) delete copy.reason;
  if (copy.scaleDownAt === undefined) delete copy.scaleDownAt;
  return copy;
}

/** A new release id: time-ordered, with a random suffix. */
export function newReleaseId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}
