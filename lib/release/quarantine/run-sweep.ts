/**
 * The scheduled sweep (QuarantineController.sweep): retention, stale claims, untracked Retained instances, the
 * flapping gauge. One instance's failure is recorded and the sweep goes on; the next tick tries again.
 */
import { QuarantineEntry, QuarantineRecord, ReplacementMark } from '../../contract';
import type { SweepOutcome } from './controller';
import { decideSweep, RetainedInGroup } from './decide-sweep';
import { recentReplacements, trimMarks, zeroCounts } from './flapping';
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
  const terminated: Terminated[] = [];
  const dropped: Dropped[] = [];
  const settled: QuarantineEntry[] = [];
  for (const a of plan.actions) {
    if (a.kind === 'drop') {
      dropped.push({ instanceId: a.instanceId, reason: a.reason });
      settled.push(a.entry);
      continue;
    }
    try {
      await ports.autoScaling.terminateInstance(a.autoScalingGroupName, a.instanceId);
      terminated.push({ instanceId: a.instanceId, colour: a.colour, reason: a.reason });
      if (a.entry) settled.push(a.entry);
    } catch (err) {
      errors.push(`${a.instanceId}: could not terminate (${a.reason}): ${errorText(err)}`);
    }
  }
  const marks = await save(ports, policy, settled, nowMs, errors) ?? plan.replacements;
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

/**
 * Remove the settled entries and trim the marks, deciding again on what is stored now (a hook event may have
 * written meanwhile). Writes nothing when nothing changes. Returns the stored marks, undefined on failure.
 */
async function save(ports: QuarantinePorts, policy: QuarantinePolicy, settled: readonly QuarantineEntry[], nowMs: number, errors: string[]): Promise<readonly ReplacementMark[] | undefined> {
  try {
    return await updateRecord(ports, policy.service, (current) => {
      const entries = current.entries.filter((e) => !settled.some((s) => sameClaim(s, e)));
      const replacements = trimMarks(current.replacements, nowMs, policy.flappingWindowSeconds);
      const changed = entries.length !== current.entries.length || replacements.length !== current.replacements.length;
      return { record: changed ? { ...current, entries, replacements } : undefined, result: replacements };
    });
  } catch (err) {
    errors.push(`could not update the quarantine record: ${errorText(err)}`);
    return undefined;
  }
}
