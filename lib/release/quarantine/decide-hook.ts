/**
 * What to do with one health-driven termination lifecycle action, given the quarantine record as read: claim a
 * place, continue over a cap, or recognise a delivery already handled. Pure: the controller writes the record it
 * returns with compare-and-set and decides again on a conflict.
 */
import { ColourName, QuarantineEntry, QuarantineRecord } from '../../contract';
import { capExceeded, QuarantineCaps } from './caps';
import { addMark, trimMarks } from './flapping';
import type { TerminationEvent } from './ports';
import { expiryFor, iso, isStale } from './retention';

/** The policy fields a hook decision reads. */
export interface HookPolicy extends QuarantineCaps {
  readonly retentionSeconds: number;
  readonly flappingWindowSeconds: number;
  readonly hookTimeoutSeconds: number;
}

/** One decision's inputs. */
export interface HookDecisionInput {
  readonly record: QuarantineRecord;
  readonly event: TerminationEvent;
  readonly colour: ColourName;
  /** The group's cause (already classified as health-driven). */
  readonly cause: string;
  readonly policy: HookPolicy;
  readonly nowMs: number;
}

/** What to do. `record` is what to write (compare-and-set) before acting. */
export type HookDecision =
  /** A place under both caps: isolate, then mark the entry kept. */
  | { readonly kind: 'claim'; readonly record: QuarantineRecord; readonly entry: QuarantineEntry; readonly replaced?: QuarantineEntry }
  /** No place: continue. The replacement is still counted for flapping. */
  | { readonly kind: 'over-cap'; readonly record: QuarantineRecord; readonly reason: string }
  /** Another invocation is isolating this instance: leave the action alone. */
  | { readonly kind: 'duplicate'; readonly entry: QuarantineEntry; readonly reason: string }
  /** Already kept under this action (the ABANDON's reply was lost, or a re-delivery): abandon again, idempotent. */
  | { readonly kind: 'already-kept'; readonly entry: QuarantineEntry; readonly reason: string }
  /**
   * Kept under another action: this one is a new termination of the kept instance (the sweep's or an operator's
   * TerminateInstanceInAutoScalingGroup), so it goes on. Abandoning it would undo that termination.
   */
  | { readonly kind: 'kept-terminating'; readonly entry: QuarantineEntry; readonly reason: string };

/** Decide one health-driven lifecycle action. */
export function decideHook(input: HookDecisionInput): HookDecision {
  const { record, event, policy, nowMs } = input;
  const existing = record.entries.find((e) => e.instanceId === event.instanceId);
  if (existing?.state === 'kept') {
    if (existing.lifecycleActionToken !== event.lifecycleActionToken) {
      return {
        kind: 'kept-terminating',
        entry: existing,
        reason: `${event.instanceId} is kept (since ${existing.since ?? existing.claimedAt}) under another lifecycle action (${existing.lifecycleActionToken}): this one is a new termination of it (the sweep's or an operator's), so it goes on`,
      };
    }
    return { kind: 'already-kept', entry: existing, reason: `${event.instanceId} is already kept (since ${existing.since ?? existing.claimedAt})` };
  }
  if (existing && !isStale(existing, nowMs, policy.hookTimeoutSeconds)) return duplicate(existing, event);
  // No claim, or a stale one: its action has timed out and continued, so whoever made it has given up.
  const others = record.entries.filter((e) => e.instanceId !== event.instanceId);
  const replacements = addMark(trimMarks(record.replacements, nowMs, policy.flappingWindowSeconds), {
    colour: input.colour,
    instanceId: event.instanceId,
    at: iso(nowMs),
  });
  const full = capExceeded(others, input.colour, policy);
  if (full) return { kind: 'over-cap', record: { ...record, entries: others, replacements }, reason: full };
  const entry = claimEntry(input);
  return { kind: 'claim', record: { ...record, entries: [...others, entry], replacements }, entry, ...(existing ? { replaced: existing } : {}) };
}

function duplicate(existing: QuarantineEntry, event: TerminationEvent): HookDecision {
  // A different token while a fresh claim stands cannot be a new action of a running claim's instance; leaving it
  // alone lets it time out and continue, which is the safe side.
  const which = existing.lifecycleActionToken === event.lifecycleActionToken ? 'this lifecycle action' : `another lifecycle action (${existing.lifecycleActionToken})`;
  return { kind: 'duplicate', entry: existing, reason: `${event.instanceId} is being isolated for ${which} since ${existing.claimedAt}` };
}

function claimEntry(input: HookDecisionInput): QuarantineEntry {
  return {
    instanceId: input.event.instanceId,
    colour: input.colour,
    autoScalingGroupName: input.event.autoScalingGroupName,
    state: 'isolating',
    claimedAt: iso(input.nowMs),
    lifecycleActionToken: input.event.lifecycleActionToken,
    expiresAt: expiryFor(input.nowMs, input.policy.retentionSeconds),
    reasons: [input.cause],
  };
}
