/**
 * The quarantine controller: what the quarantine Lambda and the `bluegreen quarantine` commands run, over the ports.
 * Decisions are pure functions (classify, decide-hook, decide-sweep, retention); this class only sequences them with
 * the ports. Every failure leans towards the normal path: an instance that cannot be kept is terminated.
 */
import type { ColourName, QuarantineEntry } from '../../contract';
import { handleTermination } from './handle-termination';
import { extendKept, listQuarantine, terminateKept } from './operator';
import type { QuarantinePolicy, QuarantinePorts, TerminationEvent } from './ports';
import { runSweep } from './run-sweep';

/**
 * What one termination lifecycle action ended as. `warnings` lists what failed without changing the outcome (a
 * notification, the gauge, completing an action whose default is CONTINUE anyway, releasing a claim).
 */
export type HookOutcome =
  /** Claimed, isolated, evidence captured, hook abandoned: the instance is Retained. */
  | { readonly action: 'kept'; readonly instanceId: string; readonly colour: ColourName; readonly entry: QuarantineEntry; readonly warnings?: readonly string[] }
  /** Hook continued: the termination goes on (not health-driven, over a cap, the group is being deleted, not ours, a kept instance terminated anew). */
  | { readonly action: 'terminated'; readonly instanceId: string; readonly colour?: ColourName; readonly healthDriven: boolean; readonly reason: string; readonly warnings?: readonly string[] }
  /** Another invocation holds this action (a duplicate delivery), or it was already kept: nothing done. */
  | { readonly action: 'duplicate'; readonly instanceId: string; readonly reason: string; readonly warnings?: readonly string[] }
  /** Isolating failed part way: the claim was released and the hook continued, so the instance terminates. */
  | { readonly action: 'failed-open'; readonly instanceId: string; readonly colour: ColourName; readonly error: string; readonly warnings?: readonly string[] };

/** What one sweep did. */
export interface SweepOutcome {
  /** Instances terminated: retention over, a stale claim, retained but untracked. */
  readonly terminated: ReadonlyArray<{ readonly instanceId: string; readonly colour?: ColourName; readonly reason: string }>;
  /** Entries dropped because their instance is gone. */
  readonly dropped: ReadonlyArray<{ readonly instanceId: string; readonly reason: string }>;
  /** The flapping gauge published: health-driven replacements within the window, per colour. */
  readonly recentReplacements: Readonly<Record<ColourName, number>>;
  /** Per-instance errors (the sweep goes on past them; the next tick tries again). */
  readonly errors: readonly string[];
}

/** Kept instances, as `bluegreen quarantine` lists them. */
export interface QuarantineListing {
  readonly entries: readonly QuarantineEntry[];
  /** Entries (isolating or kept) per colour. */
  readonly perColour: Readonly<Record<ColourName, number>>;
  readonly keepPerColour: number;
  readonly keepPerService: number;
  /** Health-driven replacements within the flapping window, per colour. */
  readonly recentReplacements: Readonly<Record<ColourName, number>>;
}

/** What `terminate` did or (dry run) would do. */
export interface QuarantineTerminateResult {
  readonly instanceId: string;
  readonly colour: ColourName;
  /** False when the instance was already gone and only the entry was dropped. */
  readonly terminated: boolean;
  readonly dryRun: boolean;
}

/** What `extend` did or (dry run) would do. */
export interface QuarantineExtendResult {
  readonly instanceId: string;
  readonly previousExpiry: string;
  readonly expiresAt: string;
  readonly dryRun: boolean;
}

// In a file of its own so that the command modules can throw it without importing this one (no import cycle).
export { QuarantineRefusal } from './refusal';

/** Options of the operator commands. */
export interface OperatorOptions {
  /** Who asks (recorded on extend). */
  readonly who: string;
  /** @default false */
  readonly dryRun?: boolean;
}

export class QuarantineController {
  constructor(
    private readonly ports: QuarantinePorts,
    private readonly policy: QuarantinePolicy,
  ) {}

  /**
   * Handle one termination lifecycle action:
   * 1. not one of the colours' groups, the group is being deleted, or the cause is not a health check (ELB, EC2
   *    status, or a custom SetInstanceHealth): CONTINUE;
   * 2. health-driven: count it for flapping, and claim a place under both caps with compare-and-set (re-read and
   *    decide again on a conflict; still conflicting after a few tries: CONTINUE, then one more try to count it);
   * 3. over a cap: CONTINUE; under: record the reasons, deregister, tag, swap the security groups for the quarantine
   *    group, capture console output and the group's activity to the evidence store, snapshot (if asked), mark the
   *    entry kept, ABANDON the hook (the group keeps it Retained), notify the topic;
   * 4. any failure in 3: CONTINUE, drop the claim, notify, `failed-open`.
   * A second delivery of the same action while the first is isolating is a `duplicate`, and once kept it is
   * abandoned again; after a claim went stale (older than the hook timeout) it is decided anew. A new action (another
   * token) of a kept instance is a termination of it by the sweep or an operator: CONTINUE. An action of another hook
   * on the group is left to its owner.
   */
  public async onTermination(event: TerminationEvent): Promise<HookOutcome> {
    return handleTermination(this.ports, this.policy, event);
  }

  /**
   * The scheduled sweep: terminate kept instances whose retention is over (an expiry that is not a date counts as
   * over), instances of stale claims that still run, and Retained instances of the groups that the record does not
   * track (never more than the caps; kept instances beyond caps that were lowered go too, earliest expiry first);
   * drop entries whose instance is gone; trim replacement marks to the flapping window; publish the gauge. Entries
   * leave the record (compare-and-set, decided again on what is stored then) before their instances are terminated.
   */
  public async sweep(): Promise<SweepOutcome> {
    return runSweep(this.ports, this.policy);
  }

  /** The record's entries and counts. */
  public async list(): Promise<QuarantineListing> {
    return listQuarantine(this.ports, this.policy);
  }

  /**
   * Drop a kept instance's entry (compare-and-set), then terminate it. Refused for an instance not in the record or
   * still isolating. A dry run reads and decides but changes nothing.
   */
  public async terminate(instanceId: string, options: OperatorOptions): Promise<QuarantineTerminateResult> {
    return terminateKept(this.ports, this.policy, instanceId, options);
  }

  /**
   * Move a kept instance's expiry `bySeconds` later (from its current expiry), in the record and its expiry tag.
   * Refused beyond QUARANTINE_MAX_RETENTION_SECONDS after it was kept; the message names the latest expiry allowed.
   */
  public async extend(instanceId: string, bySeconds: number, options: OperatorOptions): Promise<QuarantineExtendResult> {
    return extendKept(this.ports, this.policy, instanceId, bySeconds, options);
  }
}
