/**
 * One termination lifecycle action, end to end (QuarantineController.onTermination). Every path ends the action
 * or leaves it to an invocation already on it; every failure ends it with CONTINUE, so the worst a fault can cost
 * is a kept instance that terminates, never one kept beyond the caps.
 */
import { ColourName, QuarantineEntry, QuarantineRecord } from '../../contract';
import { classifyTermination, HealthCheckKind } from './classify-termination';
import type { HookOutcome } from './controller';
import { decideHook, HookDecision } from './decide-hook';
import { addMark, recentReplacements, trimMarks } from './flapping';
import { isolate, Isolated, IsolationError, keptEntry } from './isolate';
import { actionEndedNotice, failedOpenNotice, keptNotice, QuarantineNotice } from './notices';
import type { LifecycleResult, QuarantineColour, QuarantinePolicy, QuarantinePorts, TerminationActivity, TerminationEvent } from './ports';
import { errorText } from './error-text';
import { QuarantineRecordBusyError, readRecord, sameClaim, updateRecord } from './record-update';
import { iso } from './retention';

/**
 * Checks of the group's Retained instances after an ABANDON found no action waiting, and the wait between them.
 * AWS moves an abandoned instance through `Terminating:Proceed` to `Terminating:Retained`, so a duplicate delivery's
 * ABANDON a moment earlier may not show as Retained at once.
 */
export const RETAINED_CHECKS = 3;
export const RETAINED_CHECK_INTERVAL_MS = 2000;

/** The health check that condemned the instance, or why it is not kept. */
type Keep = { readonly keep: true; readonly check: HealthCheckKind; readonly cause: string; readonly activity: TerminationActivity };
type Verdict = Keep | { readonly keep: false; readonly reason: string };

/** A hook event in flight: who handles it, and the warnings (notify, gauge) it collects on the way. */
class HookRun {
  public readonly warnings: string[] = [];

  constructor(
    public readonly ports: QuarantinePorts,
    public readonly policy: QuarantinePolicy,
    public readonly event: TerminationEvent,
  ) {}

  /** Complete the action; a failure is only a warning since the hook's default result is CONTINUE anyway. */
  async complete(result: LifecycleResult): Promise<boolean> {
    try {
      return await this.ports.autoScaling.completeLifecycleAction(this.event, result);
    } catch (err) {
      this.warnings.push(`could not complete the lifecycle action with ${result}: ${errorText(err)}`);
      return false;
    }
  }

  /** CONTINUE: the termination goes on. */
  async continue(colour: ColourName | undefined, healthDriven: boolean, reason: string): Promise<HookOutcome> {
    await this.complete('CONTINUE');
    return this.outcome({ action: 'terminated', instanceId: this.event.instanceId, ...(colour ? { colour } : {}), healthDriven, reason });
  }

  async notify(notice: QuarantineNotice): Promise<void> {
    await this.ports.notifier.notify(notice.subject, notice.message).catch((err) => this.warnings.push(`could not notify: ${errorText(err)}`));
  }

  async publish(record: QuarantineRecord): Promise<void> {
    const counts = recentReplacements(record.replacements, this.ports.clock.now(), this.policy.flappingWindowSeconds);
    await this.ports.gauge.publish(counts).catch((err) => this.warnings.push(`could not publish the flapping gauge: ${errorText(err)}`));
  }

  outcome(o: HookOutcome): HookOutcome {
    return this.warnings.length > 0 ? { ...o, warnings: [...this.warnings] } : o;
  }
}

/** Handle one termination lifecycle action. */
export async function handleTermination(ports: QuarantinePorts, policy: QuarantinePolicy, event: TerminationEvent): Promise<HookOutcome> {
  const run = new HookRun(ports, policy, event);
  if (event.lifecycleHookName !== policy.hookName) {
    // Another hook on the group belongs to someone else: completing it would cut their work short.
    return { action: 'terminated', instanceId: event.instanceId, healthDriven: false, reason: `hook ${event.lifecycleHookName} is not ${policy.hookName}: left to its owner` };
  }
  const colour = policy.colours.find((c) => c.autoScalingGroupName === event.autoScalingGroupName);
  if (!colour) return run.continue(undefined, false, `${event.autoScalingGroupName} is not one of ${policy.service}'s colour groups`);
  const verdict = await judge(run);
  if (!verdict.keep) return run.continue(colour.colour, false, verdict.reason);
  let decision: HookDecision;
  try {
    decision = await updateRecord(ports, policy.service, (current) => {
      const d = decideHook({ record: current, event, colour: colour.colour, cause: verdict.cause, policy, nowMs: ports.clock.now() });
      return { record: 'record' in d ? d.record : undefined, result: d };
    });
  } catch (err) {
    const outcome = await run.continue(colour.colour, true, `could not claim a place in the quarantine record: ${errorText(err)}`);
    if (err instanceof QuarantineRecordBusyError) await countAnyway(run, colour.colour);
    return run.outcome(outcome);
  }
  return act(run, colour, verdict, decision);
}

/**
 * The claim gave up on a busy record (a burst of failures writing at once): the termination has gone on, but the
 * replacement must still count for flapping, since a burst is exactly what the flapping alarm is for. One more try to
 * add just its mark, best effort, then the gauge.
 */
async function countAnyway(run: HookRun, colour: ColourName): Promise<void> {
  const { ports, policy, event } = run;
  let record: QuarantineRecord;
  try {
    const current = await readRecord(ports.store, policy.service);
    const nowMs = ports.clock.now();
    const replacements = addMark(trimMarks(current.record.replacements, nowMs, policy.flappingWindowSeconds), { colour, instanceId: event.instanceId, at: iso(nowMs) });
    record = { ...current.record, replacements };
    await ports.store.write(record, current.version);
  } catch (err) {
    run.warnings.push(`could not count the replacement for flapping either: ${errorText(err)}`);
    return;
  }
  await run.publish(record);
}

/** Whether the termination is health-driven; anything that cannot be read continues. */
async function judge(run: HookRun): Promise<Verdict> {
  const { autoScalingGroupName: group, instanceId } = run.event;
  try {
    if (await run.ports.autoScaling.groupDeleting(group)) return { keep: false, reason: `${group} is being deleted` };
    const activity = await run.ports.autoScaling.terminationActivity(group, instanceId);
    const c = classifyTermination(activity?.cause);
    if (!c.healthDriven) return { keep: false, reason: `not health-driven: ${c.reason}` };
    return { keep: true, check: c.check, cause: c.cause, activity: activity ?? { cause: c.cause } };
  } catch (err) {
    return { keep: false, reason: `could not read why the group terminates it: ${errorText(err)}` };
  }
}

async function act(run: HookRun, colour: QuarantineColour, verdict: Keep, decision: HookDecision): Promise<HookOutcome> {
  const instanceId = run.event.instanceId;
  switch (decision.kind) {
    case 'duplicate':
      return { action: 'duplicate', instanceId, reason: decision.reason };
    case 'already-kept':
      // The same action again: the earlier ABANDON may have been lost; again is harmless, and CONTINUE would
      // terminate a kept instance.
      await run.complete('ABANDON');
      return run.outcome({ action: 'duplicate', instanceId, reason: decision.reason });
    case 'kept-terminating':
      // Another action of a kept instance: someone (the sweep, an operator) terminates it. It is outside desired
      // capacity, so nothing is replaced and nothing is counted; its entry is dropped by the sweep once it is gone.
      return run.continue(colour.colour, false, decision.reason);
    case 'over-cap': {
      const outcome = await run.continue(colour.colour, true, `over a cap: ${decision.reason}`);
      await run.publish(decision.record);
      return run.outcome(outcome);
    }
    case 'claim':
      return keep(run, colour, verdict, decision.entry, decision.record);
  }
}

/** Isolate the claimed instance, mark it kept, abandon the hook; fail open at any step. */
async function keep(run: HookRun, colour: QuarantineColour, verdict: Keep, claim: QuarantineEntry, claimed: QuarantineRecord): Promise<HookOutcome> {
  let kept: QuarantineEntry;
  try {
    const isolated = await isolate(run.ports, run.policy, { colour, claim, check: verdict.check, cause: verdict.cause, activity: verdict.activity });
    kept = await markKept(run, claim, isolated);
  } catch (err) {
    return failOpen(run, claim, claimed, errorText(err));
  }
  let abandoned: boolean;
  try {
    abandoned = await run.ports.autoScaling.completeLifecycleAction(run.event, 'ABANDON');
  } catch (err) {
    return failOpen(run, kept, claimed, `abandon: ${errorText(err)}`);
  }
  if (!abandoned && !(await retainedAnyway(run, kept))) return actionEnded(run, kept, claimed);
  await run.notify(keptNotice(run.policy.service, kept, run.policy.region));
  await run.publish(claimed);
  return run.outcome({ action: 'kept', instanceId: kept.instanceId, colour: kept.colour, entry: kept });
}

/** Write the claim as kept, if it is still ours (a claim re-decided after going stale is not). */
async function markKept(run: HookRun, claim: QuarantineEntry, isolated: Isolated): Promise<QuarantineEntry> {
  try {
    return await updateRecord(run.ports, run.policy.service, (current) => {
      const mine = current.entries.find((e) => sameClaim(e, claim) && e.state === 'isolating');
      if (!mine) throw new Error('the claim is no longer in the record (it went stale and was decided again)');
      const kept = keptEntry(mine, isolated);
      return { record: { ...current, entries: current.entries.map((e) => (e === mine ? kept : e)) }, result: kept };
    });
  } catch (err) {
    throw new IsolationError('record write', errorText(err));
  }
}

/**
 * Let the termination go on, release the claim, and say so. CONTINUE first: releasing the claim may wait on
 * compare-and-set retries, and the termination (and the replacement's capacity) should not wait on the record.
 */
async function failOpen(run: HookRun, entry: QuarantineEntry, claimed: QuarantineRecord, error: string): Promise<HookOutcome> {
  await run.complete('CONTINUE');
  await dropClaim(run, entry);
  await run.notify(failedOpenNotice(run.policy.service, entry, error));
  await run.publish(claimed);
  return run.outcome({ action: 'failed-open', instanceId: entry.instanceId, colour: entry.colour, error });
}

/**
 * ABANDON found no action waiting. A duplicate delivery that saw the entry kept may have abandoned it first (the
 * instance is then Retained, and kept); otherwise the action timed out. AWS takes an abandoned instance through
 * `Terminating:Proceed` before `Terminating:Retained`, so the group is asked RETAINED_CHECKS times,
 * RETAINED_CHECK_INTERVAL_MS apart, before concluding it terminated the instance. Unreadable counts as not retained:
 * the sweep terminates a Retained instance the record does not track.
 */
async function retainedAnyway(run: HookRun, kept: QuarantineEntry): Promise<boolean> {
  for (let check = 1; check <= RETAINED_CHECKS; check++) {
    if (check > 1) await run.ports.clock.sleep(RETAINED_CHECK_INTERVAL_MS);
    try {
      if ((await run.ports.autoScaling.retainedInstances(kept.autoScalingGroupName)).includes(kept.instanceId)) return true;
    } catch (err) {
      run.warnings.push(`could not tell whether ${kept.instanceId} is Retained: ${errorText(err)}`);
      return false;
    }
  }
  return false;
}

/** ABANDON found no action waiting: it timed out and continued, so the group terminated the instance. */
async function actionEnded(run: HookRun, kept: QuarantineEntry, claimed: QuarantineRecord): Promise<HookOutcome> {
  await dropClaim(run, kept);
  await run.notify(actionEndedNotice(run.policy.service, kept));
  await run.publish(claimed);
  const reason = 'the lifecycle action had already ended (timed out) when it was to be abandoned: the group terminated the instance';
  return run.outcome({ action: 'terminated', instanceId: kept.instanceId, colour: kept.colour, healthDriven: true, reason });
}

/** Best effort: a claim left behind is dropped by the sweep once its instance is gone. */
async function dropClaim(run: HookRun, entry: QuarantineEntry): Promise<void> {
  try {
    await updateRecord(run.ports, run.policy.service, (current) => {
      const entries = current.entries.filter((e) => !sameClaim(e, entry));
      return { record: entries.length === current.entries.length ? undefined : { ...current, entries }, result: undefined };
    });
  } catch (err) {
    run.warnings.push(`could not release the claim (the sweep drops it once the instance is gone): ${errorText(err)}`);
  }
}
