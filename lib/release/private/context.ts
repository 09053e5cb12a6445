import { ReleaseEventType } from '../events';
import { HolderVerdict, judgeHolder } from '../lease';
import { ResolvedOptions } from '../options';
import { HookPointName } from '../../contract';
import { ConcurrentReleaseError, OwnerProcess, ReleasePorts, ReleaseState, Weights } from '../ports';

/** Fields an event may carry besides its type and message. */
export interface EventExtra {
  readonly weights?: Weights;
  readonly step?: number;
  readonly steps?: number;
  readonly bakedMs?: number;
  readonly bakeMs?: number;
  readonly hook?: string;
  readonly point?: HookPointName;
  readonly attempt?: number;
}

/** Ports, options and event output, shared by the engine's procedures. */
export class EngineContext {
  /**
   * Who runs a hook, as its `running` run records it: the owner and a random suffix of this engine, since two
   * processes may share an owner name (two invocations of the auto-rollback Lambda).
   */
  public readonly runOwner: string;

  constructor(
    public readonly ports: ReleasePorts,
    public readonly opts: ResolvedOptions,
  ) {
    this.runOwner = `${opts.owner}#${Math.random().toString(36).slice(2, 8)}`;
  }

  public now(): number {
    return this.ports.clock.now();
  }

  public emit(type: ReleaseEventType, message: string, extra: EventExtra = {}): void {
    this.ports.logger.event({ type, message, at: this.now(), ...extra });
  }

  /** The owner fields of every record this engine writes: its owner, and its process when known. */
  public ownership(): { readonly owner: string; readonly ownerProcess?: OwnerProcess } {
    return { owner: this.opts.owner, ownerProcess: this.opts.process };
  }

  /** Who holds `state` (a release in progress), as this engine sees it. */
  public holderOf(state: ReleaseState): HolderVerdict {
    return judgeHolder(state, this.now(), { owner: this.opts.owner, process: this.opts.process, probe: this.opts.processProbe });
  }
}

/**
 * A copy of `state` without optional fields whose value is undefined: a stored record has no `undefined`
 * attributes (DynamoDB's marshaller rejects them unless told otherwise).
 */
export function compact(state: ReleaseState): ReleaseState {
  const copy: Record<string, unknown> = { ...state };
  for (const key of Object.keys(copy)) if (copy[key] === undefined) delete copy[key];
  return copy as unknown as ReleaseState;
}

/**
 * Compare-and-set `state`. A conflict is checked once by reading the record back: when the stored record is exactly
 * `state`, the conflict was our own write seen twice (the SDK retries a PutItem whose reply timed out; the first
 * attempt had landed, so the retry's condition fails), and the stored version is adopted. Anything else is someone
 * else's write and is rethrown.
 *
 * @returns the new version
 * @throws ConcurrentReleaseError when someone else wrote since `expectedVersion`
 */
export async function writeRecord(
  ctx: EngineContext,
  state: ReleaseState,
  expectedVersion: number | undefined,
  /** A write of ours that failed with an AWS error and may have landed: if it did, write again over it. */
  unsure?: ReleaseState,
): Promise<number> {
  try {
    return await ctx.ports.state.write(state, expectedVersion);
  } catch (e) {
    if (!(e instanceof ConcurrentReleaseError)) throw e;
    const stored = await ctx.ports.state.read();
    if (stored && unsure && sameRecord(stored.state, unsure)) {
      ctx.emit(ReleaseEventType.WRITE_ADOPTED, `A release record write that reported an error had landed (version ${stored.version}); writing over it`);
      return writeRecord(ctx, state, stored.version);
    }
    if (!stored || !sameRecord(stored.state, state)) throw e;
    ctx.emit(ReleaseEventType.WRITE_ADOPTED, `The release record write reported a conflict, but the stored record is the one just written (version ${stored.version}); going on`);
    return stored.version;
  }
}

/**
 * Whether two records are the same write. Every field counts: `updatedAt` (ms) and `owner` make a record unique to
 * one write of one process, so no other writer can produce an equal one.
 */
export function sameRecord(a: ReleaseState, b: ReleaseState): boolean {
  return canonical(compact(a)) === canonical(compact(b));
}

function canonical(state: ReleaseState): string {
  return JSON.stringify(state, Object.keys(state).sort());
}

/** A new release id: time-ordered, with a random suffix. */
export function newReleaseId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}
