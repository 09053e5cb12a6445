/**
 * What the scheduled sweep does, given the record, what EC2 says of each entry's instance and which instances the
 * groups retain. Pure: the controller terminates, then removes the handled entries with compare-and-set.
 */
import { ColourName, QuarantineEntry, QuarantineRecord, ReplacementMark } from '../../contract';
import { QuarantineCaps } from './caps';
import { trimMarks } from './flapping';
import { expiryOrder, isExpired, isStale } from './retention';

/** Instance states in which there is nothing left to terminate. */
const GONE_STATES: readonly string[] = ['gone', 'terminated', 'shutting-down'];

/** Whether EC2 says the instance is gone or going. */
export function isGone(state: string): boolean {
  return GONE_STATES.includes(state);
}

/** The policy fields the sweep reads. */
export interface SweepPolicy extends QuarantineCaps {
  readonly hookTimeoutSeconds: number;
  readonly flappingWindowSeconds: number;
}

/** A group's Retained instances (only groups that could be listed). */
export interface RetainedInGroup {
  readonly colour: ColourName;
  readonly autoScalingGroupName: string;
  readonly instanceIds: readonly string[];
}

/** One sweep's inputs. */
export interface SweepInput {
  readonly record: QuarantineRecord;
  /** EC2 state of entries' instances; an entry whose instance could not be described is left for the next tick. */
  readonly instanceStates: ReadonlyMap<string, string>;
  readonly retained: readonly RetainedInGroup[];
  readonly policy: SweepPolicy;
  readonly nowMs: number;
}

/** One thing to do. `entry` is the record's entry it settles (absent for an untracked instance). */
export type SweepAction =
  | { readonly kind: 'terminate'; readonly instanceId: string; readonly colour: ColourName; readonly autoScalingGroupName: string; readonly reason: string; readonly entry?: QuarantineEntry }
  | { readonly kind: 'drop'; readonly instanceId: string; readonly reason: string; readonly entry: QuarantineEntry };

/** The plan, and the marks still within the flapping window. */
export interface SweepPlan {
  readonly actions: readonly SweepAction[];
  readonly replacements: readonly ReplacementMark[];
}

/** Decide one sweep. */
export function decideSweep(input: SweepInput): SweepPlan {
  const settled = input.record.entries.map((e) => settleEntry(e, input)).filter((a) => a !== undefined);
  const handled = new Set(settled.map((a) => a.instanceId));
  const remaining = input.record.entries.filter((e) => !handled.has(e.instanceId));
  return {
    actions: [...settled, ...overCaps(remaining, input.policy), ...untracked(input)],
    replacements: trimMarks(input.record.replacements, input.nowMs, input.policy.flappingWindowSeconds),
  };
}

function settleEntry(entry: QuarantineEntry, input: SweepInput): SweepAction | undefined {
  const state = input.instanceStates.get(entry.instanceId);
  if (state === undefined) return undefined;
  if (isGone(state)) return { kind: 'drop', instanceId: entry.instanceId, reason: `instance is ${state}`, entry };
  if (isExpired(entry, input.nowMs)) {
    return terminate(entry, isDate(entry.expiresAt) ? `retention ended at ${entry.expiresAt}` : `its expiry ${JSON.stringify(entry.expiresAt)} is not a date (counted as expired)`);
  }
  if (isStale(entry, input.nowMs, input.policy.hookTimeoutSeconds)) {
    const claimed = isDate(entry.claimedAt) ? `claim of ${entry.claimedAt}` : `claim whose time ${JSON.stringify(entry.claimedAt)} is not a date`;
    return terminate(entry, `${claimed} went stale (its lifecycle action timed out) and the instance still runs`);
  }
  return undefined;
}

function isDate(value: string | undefined): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function terminate(entry: QuarantineEntry, reason: string): SweepAction {
  return { kind: 'terminate', instanceId: entry.instanceId, colour: entry.colour, autoScalingGroupName: entry.autoScalingGroupName, reason, entry };
}

/**
 * Kept instances beyond the caps (only after the caps were lowered: claims never exceed them), the ones that expire
 * first going first since they were due soonest anyway. Isolating claims count but are left to finish.
 */
function overCaps(entries: readonly QuarantineEntry[], caps: QuarantineCaps): SweepAction[] {
  const perColour = new Map<ColourName, number>();
  for (const e of entries) perColour.set(e.colour, (perColour.get(e.colour) ?? 0) + 1);
  let total = entries.length;
  const actions: SweepAction[] = [];
  for (const e of [...entries].sort((a, b) => compareExpiry(a, b))) {
    const ofColour = perColour.get(e.colour) ?? 0;
    if (e.state !== 'kept' || (ofColour <= caps.keepPerColour && total <= caps.keepPerService)) continue;
    perColour.set(e.colour, ofColour - 1);
    total -= 1;
    actions.push(terminate(e, `over the caps (keepPerColour ${caps.keepPerColour}, keepPerService ${caps.keepPerService})`));
  }
  return actions;
}

/** Earliest expiry first; expiries that are not dates first of all (they count as expired). */
function compareExpiry(a: QuarantineEntry, b: QuarantineEntry): number {
  const x = expiryOrder(a);
  const y = expiryOrder(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Retained instances the record does not track: nothing accounts for them against the caps, so they go. */
function untracked(input: SweepInput): SweepAction[] {
  const tracked = new Set(input.record.entries.map((e) => e.instanceId));
  return input.retained.flatMap((g) =>
    g.instanceIds
      .filter((id) => !tracked.has(id))
      .map((id): SweepAction => ({ kind: 'terminate', instanceId: id, colour: g.colour, autoScalingGroupName: g.autoScalingGroupName, reason: 'retained by the group but not in the quarantine record' })),
  );
}
