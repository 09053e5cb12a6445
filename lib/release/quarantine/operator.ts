/**
 * The operator's commands (QuarantineController.list, terminate, extend), as `bluegreen quarantine` runs them.
 * Refusals come before any change; a dry run reads and decides but changes nothing.
 */
import { QUARANTINE_TAGS, QuarantineEntry, QuarantineRecord } from '../../contract';
import type { OperatorOptions, QuarantineExtendResult, QuarantineListing, QuarantineTerminateResult } from './controller';
import { QuarantineRefusal } from './refusal';
import { isGone } from './decide-sweep';
import { errorText } from './error-text';
import { recentReplacements, zeroCounts } from './flapping';
import type { QuarantinePolicy, QuarantinePorts } from './ports';
import { extendExpiry, iso } from './retention';
import { readRecord, sameClaim, updateRecord } from './record-update';

/** The record's entries and counts. */
export async function listQuarantine(ports: QuarantinePorts, policy: QuarantinePolicy): Promise<QuarantineListing> {
  const { record } = await readRecord(ports.store, policy.service);
  const perColour = zeroCounts();
  for (const e of record.entries) perColour[e.colour] += 1;
  return {
    entries: record.entries,
    perColour,
    keepPerColour: policy.keepPerColour,
    keepPerService: policy.keepPerService,
    recentReplacements: recentReplacements(record.replacements, ports.clock.now(), policy.flappingWindowSeconds),
  };
}

/**
 * Terminate a kept instance now (or only drop its entry when it is already gone). The entry leaves the record first,
 * with compare-and-set (refused if the sweep or another terminate took it meanwhile), the instance is terminated
 * after: so nothing else acts on an entry whose instance is being terminated.
 */
export async function terminateKept(ports: QuarantinePorts, policy: QuarantinePolicy, instanceId: string, options: OperatorOptions): Promise<QuarantineTerminateResult> {
  const { record } = await readRecord(ports.store, policy.service);
  const entry = keptOrRefuse(record, policy.service, instanceId, 'terminate');
  const running = !isGone((await ports.instances.describe(instanceId)).state);
  const result = { instanceId, colour: entry.colour, terminated: running, dryRun: options.dryRun === true };
  if (result.dryRun) return result;
  await updateRecord(ports, policy.service, (current) => {
    const mine = keptOrRefuse(current, policy.service, instanceId, 'terminate');
    if (!sameClaim(mine, entry)) throw new QuarantineRefusal(`${instanceId} of ${policy.service} changed while this command ran; run it again.`);
    return { record: { ...current, entries: current.entries.filter((e) => e !== mine) }, result: undefined };
  });
  if (!running) return result;
  try {
    await ports.autoScaling.terminateInstance(entry.autoScalingGroupName, instanceId);
  } catch (err) {
    // Safe: the instance is still Retained, and the sweep terminates a Retained instance the record does not track.
    throw new Error(
      `${instanceId} is out of the quarantine record of ${policy.service}, but terminating it failed (${errorText(err)}); the quarantine sweep terminates it at its next run (every minute), as a Retained instance the record does not track. To terminate it now: aws autoscaling terminate-instance-in-auto-scaling-group --instance-id ${instanceId} --no-should-decrement-desired-capacity`,
    );
  }
  return result;
}

/** Move a kept instance's expiry later, in the record and then its expiry tag. */
export async function extendKept(ports: QuarantinePorts, policy: QuarantinePolicy, instanceId: string, bySeconds: number, options: OperatorOptions): Promise<QuarantineExtendResult> {
  if (!Number.isFinite(bySeconds) || bySeconds <= 0) {
    throw new QuarantineRefusal(`--for must be a positive duration, got ${bySeconds} seconds; e.g. 'bluegreen quarantine extend ${policy.service} ${instanceId} --for 24h'.`);
  }
  const { record } = await readRecord(ports.store, policy.service);
  const planned = planExtension(record, policy.service, instanceId, bySeconds);
  if (options.dryRun) return { instanceId, previousExpiry: planned.previousExpiry, expiresAt: planned.expiresAt, dryRun: true };
  const at = iso(ports.clock.now());
  // Decided again on what is stored at write time: another extend may have moved the expiry meanwhile.
  const done = await updateRecord(ports, policy.service, (current) => {
    const plan = planExtension(current, policy.service, instanceId, bySeconds);
    const extended: QuarantineEntry = { ...plan.entry, expiresAt: plan.expiresAt, extended: { by: options.who, at } };
    return { record: { ...current, entries: current.entries.map((e) => (e === plan.entry ? extended : e)) }, result: plan };
  });
  try {
    await ports.instances.tag(instanceId, { [QUARANTINE_TAGS.EXPIRES]: done.expiresAt });
  } catch (err) {
    // The record is what the sweep acts on; the tag only informs, so say what is left to fix rather than undo.
    // Running extend again would extend again: name the one command that sets the tag alone.
    throw new Error(
      `The record of ${policy.service} now keeps ${instanceId} until ${done.expiresAt}, but its ${QUARANTINE_TAGS.EXPIRES} tag could not be set (${errorText(err)}); the sweep goes by the record. To fix the tag: aws ec2 create-tags --resources ${instanceId} --tags Key=${QUARANTINE_TAGS.EXPIRES},Value=${done.expiresAt}`,
    );
  }
  return { instanceId, previousExpiry: done.previousExpiry, expiresAt: done.expiresAt, dryRun: false };
}

interface PlannedExtension {
  readonly entry: QuarantineEntry;
  readonly previousExpiry: string;
  readonly expiresAt: string;
}

function planExtension(record: QuarantineRecord, service: string, instanceId: string, bySeconds: number): PlannedExtension {
  const entry = keptOrRefuse(record, service, instanceId, 'extend');
  const ext = extendExpiry(entry, bySeconds);
  if (!ext.ok) throw new QuarantineRefusal(ext.message);
  return { entry, previousExpiry: entry.expiresAt, expiresAt: ext.expiresAt };
}

/** The kept entry of `instanceId`, or a refusal saying what to do instead. */
function keptOrRefuse(record: QuarantineRecord, service: string, instanceId: string, verb: string): QuarantineEntry {
  const entry = record.entries.find((e) => e.instanceId === instanceId);
  if (!entry) {
    throw new QuarantineRefusal(`${instanceId} is not kept in the quarantine of ${service}, so there is nothing to ${verb}; 'bluegreen quarantine ${service}' lists the kept instances.`);
  }
  if (entry.state !== 'kept') {
    throw new QuarantineRefusal(`${instanceId} of ${service} is still being isolated (claimed at ${entry.claimedAt}); try again in a minute. A claim that never finishes goes stale and the sweep terminates its instance.`);
  }
  return entry;
}
