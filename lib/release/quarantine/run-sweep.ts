/**
 * The scheduled sweep (QuarantineController.sweep): retention, stale claims, untracked Retained instances, the
 * flapping gauge. One instance's failure is recorded and the sweep goes on; the next tick tries again.
 *
 * Entries leave the record before their instances are terminated, by one compare-and-set write that decides again on
 * what is stored then: an `extend`, an operator's `terminate` or a hook event landing after the sweep read the record
 * wins, and the sweep terminates only what is still due.
 */
import { QuarantineEntry, QuarantineRecord, ReplacementMark } from '../../contract';
import type { SweepOutcome } from './controller';
import { decideSweep, RetainedInGroup, SweepAction, SweepPlan } from './decide-sweep';
import { recentReplacements, zeroCounts } from './flapping';
import { errorText } from './error-text';
import type { QuarantinePolicy, QuarantinePorts } from './ports';
import { readRecord, sameClaim, updateRecord } from './record-update';

type Terminated = SweepOutcome['terminated'][number];
type Dropped = SweepOutcome['dropped'][number];

/** Run one sweep. */
export async function runSweep(ports: QuarantinePorts, policy: QuarantinePolicy): Promise<SweepOutcome> {
  const errors: string[] = [];
  // Retained instances first, the record after: an instance is Retained only once its entry is written kept, so
  // every instance listed here is already in the record read next, and a fresh keep is never taken as untracked.
  const retained = await listRetained(ports, policy, errors);
  let record: QuarantineRecord;
  try {
    record = (await readRecord(ports.store, policy.service)).record;
  } catch (err) {
    errors.push(`could not read the quarantine record: ${errorText(err)}`);
    return { terminated: [], dropped: [], recentReplacements: zeroCounts(), errors };
  }
  const nowMs = ports.clock.now();
  const states = await describeEntries(ports, record.entries, errors);
  const plan = decideSweep({ record, instanceStates: states, retained, policy, nowMs });
  // Entries first (nothing of theirs is terminated when the record cannot be written), untracked instances after.
  const saved = await settle(ports, policy, plan, states, nowMs, errors);
  const terminated: Terminated[] = [];
  const dropped: Dropped[] = [];
  for (const a of [...(saved?.due ?? []), ...plan.actions.filter((x) => !x.entry)]) {
    if (a.kind === 'drop') {
      dropped.push({ instanceId: a.instanceId, reason: a.reason });
      continue;
    }
    try {
      await ports.autoScaling.terminateInstance(a.autoScalingGroupName, a.instanceId);
      terminated.push({ instanceId: a.instanceId, colour: a.colour, reason: a.reason });
    } catch (err) {
      // Safe to leave: a kept instance out of the record is still Retained, so the next sweep terminates it as a
      // Retained instance the record does not track. A stale claim's action has ended with the hook's default,
      // CONTINUE, so its group terminates the instance (or, if it was abandoned after all, it is Retained: as above).
      const left = a.entry ? '; it is out of the record now, and the next sweep terminates it if the group still retains it' : '';
      errors.push(`${a.instanceId}: could not terminate (${a.reason}): ${errorText(err)}${left}`);
    }
  }
  const marks = saved?.marks ?? plan.replacements;
  const counts = recentReplacements(marks, nowMs, policy.flappingWindowSeconds);
  await ports.gauge.publish(counts).catch((err) => errors.push(`could not publish the flapping gauge: ${errorText(err)}`));
  return { terminated, dropped, recentReplacements: counts, errors };
}

async function listRetained(ports: QuarantinePorts, policy: QuarantinePolicy, errors: string[]): Promise<RetainedInGroup[]> {
  const listed: RetainedInGroup[] = [];
  for (const c of policy.colours) {
    try {
      const instanceIds = await ports.autoScaling.retainedInstances(c.autoScalingGroupName);
      listed.push({ colour: c.colour, autoScalingGroupName: c.autoScalingGroupName, instanceIds });
    } catch (err) {
      errors.push(`could not list the Retained instances of ${c.autoScalingGroupName}: ${errorText(err)}`);
    }
  }
  return listed;
}

async function describeEntries(ports: QuarantinePorts, entries: readonly QuarantineEntry[], errors: string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (const e of entries) {
    try {
      states.set(e.instanceId, (await ports.instances.describe(e.instanceId)).state);
    } catch (err) {
      errors.push(`${e.instanceId}: could not describe: ${errorText(err)}`);
    }
  }
  return states;
}

/** What the record write settled: the entries' actions still due (their entries now removed), the stored marks. */
interface Settled {
  readonly due: readonly SweepAction[];
  readonly marks: readonly ReplacementMark[];
}

/**
 * Remove the entries the plan settles and trim the marks, deciding again on what is stored now: only an entry that
 * is still there (same instance and action) and still due for the same action leaves the record, so an `extend`
 * that moved an expiry, or a claim decided anew, wins over this sweep. Writes nothing when nothing changes.
 * Undefined on failure (then nothing of the entries is terminated).
 */
async function settle(ports: QuarantinePorts, policy: QuarantinePolicy, plan: SweepPlan, states: ReadonlyMap<string, string>, nowMs: number, errors: string[]): Promise<Settled | undefined> {
  const planned = plan.actions.filter((a) => a.entry !== undefined);
  try {
    return await updateRecord(ports, policy.service, (current) => {
      const again = decideSweep({ record: current, instanceStates: states, retained: [], policy, nowMs });
      const due = again.actions.filter((a) => a.entry && planned.some((p) => p.kind === a.kind && sameClaim(p.entry!, a.entry!)));
      const entries = current.entries.filter((e) => !due.some((a) => sameClaim(a.entry!, e)));
      const replacements = again.replacements;
      const changed = entries.length !== current.entries.length || replacements.length !== current.replacements.length;
      return { record: changed ? { ...current, entries, replacements } : undefined, result: { due, marks: replacements } };
    });
  } catch (err) {
    errors.push(`could not update the quarantine record (nothing it tracks was terminated): ${errorText(err)}`);
    return undefined;
  }
}
