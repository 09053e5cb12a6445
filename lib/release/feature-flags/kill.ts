/**
 * `bluegreen flags kill`: the kill switch. Turn one flag off everywhere as fast as AppConfig allows, whatever runs:
 * suspend the monitor (so the incident being answered does not roll the kill back), stop a running deployment,
 * deploy the flag off with the kill strategy (all at once, no bake), and enable the monitor's actions again once no
 * other kill holds them. Every step goes into the record, so a kill that dies part way leaves a trace the next
 * command acts on.
 */
import {
  FeatureFlagChange,
  FeatureFlagMonitorSuspension,
  FeatureFlagProfile,
  FeatureFlagsDescriptor,
  featureFlagRecordKey,
  nextFeatureFlagProfile,
  readFeatureFlagProfile,
  renderFeatureFlagProfile,
  UndeclaredFeatureFlagError,
} from '../../contract';
import type { Logger } from '../ports';
import { FEATURE_FLAG_KILL_DESCRIPTION_MARKER, isKillDeployment, liveDeployment, readLive, runningDeployment, sameLive, servedNow, valueIn } from './live';
import { FeatureFlagPorts, FeatureFlagRecord, FLAG_DEPLOYMENT_RUNNING_STATES, FlagDeployment, FlagDeploymentConflictError, VersionedFeatureFlagRecord } from './ports';
import { describeHolder, holdersOf, isHolder, isStaleHolder, recordDetail, updateRecord, withChange, withEnded, withHolder, withoutHolders, withSettled, withStopped } from './record';
import { FlagStopTimeoutError, stopUntilEnded } from './stop';
import { deploymentView, describeDeployment, FeatureFlagChangeResult } from './types';
import { FEATURE_FLAG_POLL_MS, waitForDeployment } from './wait';

/** Versions a kill builds before giving up when the live flags keep changing under it. */
export const FEATURE_FLAG_BUILD_ATTEMPTS = 3;

/** What `killFeatureFlag` is asked. */
export interface KillFeatureFlagOptions {
  readonly service: string;
  readonly flag: string;
  /** Why (required: a kill is an incident action). */
  readonly reason: string;
  /** Who (actorId()). */
  readonly by: string;
  /** Longest the whole kill may take (stopping, deploying), ms: at most FEATURE_FLAG_KILL_TIMEOUT_MAX_MS. */
  readonly timeoutMs: number;
  /** @default FEATURE_FLAG_POLL_MS */
  readonly pollMs?: number;
  /** Read and decide, change nothing. @default false */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  /** @default '' */
  readonly prefix?: string;
  /** This kill's nonce in the monitor's holders. @default random */
  readonly holderId?: string;
}

/** A step of the kill did not happen as it must. */
class KillStepError extends Error {}

/** Why a kill cannot run without its record, and the fix. */
export function recordNeeded(service: string, cause: unknown): string {
  return (
    `the kill needs the flags record ${featureFlagRecordKey(service)} in the release-state table (it records the kill and holds the monitor's suspension, ` +
    `so a kill never runs untraced with the monitor disabled) and could not ${cause instanceof Error && /malformed/i.test(cause.message) ? 'use' : 'reach'} it: ${(cause as Error).message}. ` +
    'Fix: restore access to DynamoDB, or fix or delete the malformed item (it only records who changed which flag; AppConfig holds the flags), then run the kill again'
  );
}

/**
 * Kill `flag`: record the change and this kill as a holder of the monitor's suspension, suspend the monitor, stop a
 * running deployment (AllowRevert for a BAKING one; wait out VALIDATING and ROLLING_BACK) and wait until it no longer
 * runs, then unless the flag is already off in what AppConfig serves, create a version with it off, check that the
 * live flags did not change meanwhile (else build again from them, up to FEATURE_FLAG_BUILD_ATTEMPTS times), deploy
 * it with the kill strategy, and follow it to COMPLETE. At the end, release the suspension: enable the actions only
 * when no other kill holds them, never while the kill's own deployment still runs. Never throws for a failed step:
 * the result is `failed` with the detail and what AppConfig serves.
 *
 * @throws UndeclaredFeatureFlagError the flag is not declared (nothing changed)
 */
export async function killFeatureFlag(ports: FeatureFlagPorts, section: FeatureFlagsDescriptor, options: KillFeatureFlagOptions): Promise<FeatureFlagChangeResult> {
  const { config, monitor, records, clock } = ports;
  const startedAt = clock.now();
  const deadline = startedAt + options.timeoutMs;
  const pollMs = options.pollMs ?? FEATURE_FLAG_POLL_MS;
  const prefix = options.prefix ?? '';
  const say = (message: string) => options.logger?.event({ type: 'feature-flag-kill', message: `${prefix}${message}`, at: clock.now() });
  const dryRun = options.dryRun === true;
  const steps: string[] = [];
  const base = { kind: 'kill', flag: options.flag, enabled: false, dryRun, startedAt } as const;
  const failedEarly = async (step: string, detail: string, e: unknown): Promise<FeatureFlagChangeResult> => ({
    ...base,
    outcome: 'failed',
    steps: [step],
    detail,
    error: e,
    ...(await served()),
    endedAt: clock.now(),
  });
  const served = async () => {
    const s = await servedNow(config, options.flag);
    return s ? { served: s } : {};
  };

  let declared: FeatureFlagProfile;
  let deployments: FlagDeployment[];
  const recordRead = records.read().then(
    (r) => ({ ok: true as const, r }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  try {
    const [declaredContent, listed] = await Promise.all([config.readVersion(section.declaredVersion), config.listDeployments()]);
    declared = readFeatureFlagProfile(declaredContent);
    deployments = listed;
  } catch (e) {
    await recordRead;
    return failedEarly('could not read the flags or their deployments: nothing was changed', (e as Error).message, e);
  }
  if (!declared.flags.some((f) => f.name === options.flag)) throw new UndeclaredFeatureFlagError(options.flag, declared.flags.map((f) => f.name));
  const read = await recordRead;
  if (!read.ok) return failedEarly('could not read the flags record: nothing was changed', recordNeeded(options.service, read.e), read.e);
  const stored: VersionedFeatureFlagRecord | undefined = read.r;

  if (dryRun) return dryRunKill(ports, section, options, { declared, running: runningDeployment(deployments), live: liveDeployment(deployments), base, steps, holders: holdersOf(stored?.record) });

  const change: FeatureFlagChange = { at: new Date(startedAt).toISOString(), by: options.by, reason: options.reason, kind: 'kill', flag: options.flag, enabled: false, outcome: 'deploying' };
  const holder: FeatureFlagMonitorSuspension = { id: options.holderId ?? Math.random().toString(36).slice(2, 12), by: options.by, since: change.at, flag: options.flag };
  try {
    // Before DisableAlarmActions: whoever sees the actions disabled finds who holds them.
    await updateRecord(records, (r) => withHolder(withChange(withEnded(r, deployments), change), holder), stored ?? null);
  } catch (e) {
    return failedEarly('could not record the kill in the flags record: nothing was changed', recordNeeded(options.service, e), e);
  }

  /** The deployments this kill stopped (plainly or with AllowRevert). */
  const stoppedAll: FlagDeployment[] = [];
  /** Running deployments that ended on their own before the kill stopped them, or another kill's it waited for. */
  const endedAll: FlagDeployment[] = [];
  /** The deployments of `stoppedAll` stopped with AllowRevert (they were BAKING). */
  const revertedAll = new Set<number>();
  /** The deployments this kill started. */
  const ours = new Set<number>();
  let deployedOnce = false;
  /** What the kill builds on: the newest COMPLETE deployment of the flags but its own (which has the flag off already). */
  const liveOf = (deployments: readonly FlagDeployment[]) => liveDeployment(deployments.filter((d) => !ours.has(d.deploymentNumber)));
  /** The deployments as listed after the holder write and the suspend. */
  let listed: FlagDeployment[] = [];
  let version: string | undefined;
  /** The last deployment this kill started (its state may be unknown when a later step threw). */
  let started: number | undefined;
  let deployment: FlagDeployment | undefined;
  let before: { version: string | null; value: boolean | null } | undefined;
  let outcome: 'complete' | 'nothing-to-do' | 'failed' = 'failed';
  let detail: string | undefined;
  let error: unknown;
  try {
    await monitor.suspend();
    steps.push(`disabled the actions of monitor ${section.monitorAlarmName}`);
    say(`Monitor ${section.monitorAlarmName}: actions disabled while the kill deploys`);

    // What runs and what is live, read only now, after the holder write and the suspend: a `flags set` that read the
    // record before our holder was written and starts after this listing finds our holder when it reads the record
    // again right after its start, and stops its own deployment; one that started before this listing is in it, and
    // is stopped here. (From the first listing, such a set's rollout would go unseen: "already off", exit 0, while it
    // turns the flag on.)
    listed = await config.listDeployments();
    const running = runningDeployment(listed);
    let liveNow = liveDeployment(listed);
    if (running) {
      await stop(running);
      liveNow = liveDeployment(await config.listDeployments());
    }
    for (let attempt = 1; ; attempt++) {
      const liveProfile = await readLive(config, liveNow);
      const value = valueIn(liveProfile, options.flag);
      before ??= { version: liveNow?.configurationVersion ?? null, value };
      // After a race, our own deployment is what is served: deploy again even when the base has the flag off.
      if (liveProfile && value === false && !deployedOnce) {
        steps.push(`${options.flag} is already off in version ${liveNow!.configurationVersion}, which AppConfig serves: nothing to deploy`);
        say(`${options.flag} is already off in version ${liveNow!.configurationVersion}: nothing to deploy`);
        outcome = 'nothing-to-do';
        break;
      }
      const description = `${FEATURE_FLAG_KILL_DESCRIPTION_MARKER}${options.flag} by ${options.by}: ${options.reason}`.slice(0, 1024);
      version = await config.createVersion(renderFeatureFlagProfile(nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: false })), description);
      steps.push(`created version ${version} with ${options.flag} off (the other flags as in ${liveNow ? `version ${liveNow.configurationVersion}` : 'their defaults, nothing deployed'})`);
      // Another change that completed (or started) since the live version was read would be undone by this version:
      // check right before starting. What remains is the moment between this check and StartDeployment: a racer's
      // start in it makes ours a 409 (handled below) while it runs; a racer that completes at once (another kill) is
      // found once ours completed (racedBy).
      const now = await config.listDeployments();
      const racer = runningDeployment(now);
      const liveAgain = liveOf(now);
      if (racer || !sameLive(liveAgain, liveNow)) {
        if (attempt >= FEATURE_FLAG_BUILD_ATTEMPTS) {
          throw new KillStepError(`the flags kept changing while the kill built its version (${attempt} attempts; last: ${racer ? describeDeployment(racer) : `deployment ${liveAgain?.deploymentNumber} completed`}): run the kill again`);
        }
        if (racer) {
          steps.push(`${describeDeployment(racer)} started meanwhile`);
          await stop(racer);
          liveNow = liveOf(await config.listDeployments());
        } else {
          liveNow = liveAgain;
        }
        steps.push(`the live flags changed since version ${version} was built (now ${liveNow ? `version ${liveNow.configurationVersion}` : 'none'}): building it again from them`);
        say(`The live flags changed meanwhile: building the kill's version again from ${liveNow ? `version ${liveNow.configurationVersion}` : 'the defaults'}`);
        continue;
      }
      let number: number;
      try {
        number = await config.startDeployment(version, section.killStrategyId, description);
      } catch (e) {
        if (!(e instanceof FlagDeploymentConflictError)) throw e;
        // Another command started a deployment between our check and our start: stop it, and build again from
        // what is live then (its change may have completed).
        if (attempt >= FEATURE_FLAG_BUILD_ATTEMPTS) throw e;
        const started = runningDeployment(await config.listDeployments());
        if (started) await stop(started);
        liveNow = liveOf(await config.listDeployments());
        steps.push(`another deployment started first: building the kill's version again from ${liveNow ? `version ${liveNow.configurationVersion}` : 'the defaults'}`);
        continue;
      }
      ours.add(number);
      started = number;
      deployedOnce = true;
      steps.push(`started deployment ${number} with the kill strategy (${section.killStrategyId})`);
      say(`Deploying version ${version} (${options.flag} off) with the kill strategy: deployment ${number}`);
      deployment = await waitForDeployment(ports, number, deadline, pollMs, options.logger, prefix);
      if (deployment.state === 'COMPLETE') {
        steps.push(`deployment ${number} COMPLETE: ${options.flag} is off`);
        // A kill completes at once, so another change's start after our check meets no running deployment (no 409)
        // and may complete beside ours: verify that neither undid the other.
        const raced = await racedBy(number, liveNow);
        if (raced) {
          if (attempt >= FEATURE_FLAG_BUILD_ATTEMPTS) throw new KillStepError(`${raced.why}, and the flags kept changing (${attempt} attempts): run the kill again`);
          steps.push(`${raced.why}: building the kill's version again from version ${raced.base.configurationVersion}`);
          say(`${raced.why}: deploying the kill again on top of it`);
          liveNow = raced.base;
          deployment = undefined;
          continue;
        }
        outcome = 'complete';
      } else {
        detail = FLAG_DEPLOYMENT_RUNNING_STATES.includes(deployment.state)
          ? `the kill is still deploying: ${describeDeployment({ ...deployment, description: undefined })} after ${Math.round(options.timeoutMs / 1000)} s`
          : `deployment ${number} ended ${deployment.state}${deployment.rollbackReason ? `: ${deployment.rollbackReason}` : ''}`;
      }
      break;
    }
  } catch (e) {
    error = e;
    detail = (e as Error).message;
  }

  // Release the suspension. First settle the change and remove this kill's holder in one compare-and-set write:
  // what that write leaves is what decides (two kills ending together: the second write is re-read and applied
  // again, so exactly one of them sees no holder left). Not while the kill's own deployment runs (AppConfig would
  // roll it back once the actions are enabled, after this command exits), not while another kill holds it, and not
  // when the record cannot be written (the actions stay disabled: the safe side for a kill in progress).
  const warnings: string[] = [];
  // A step that threw after our start (GetDeployment throttled while waiting, a listing after it) leaves our own
  // deployment's state unknown: read it. Still running, or unreadable, it counts as still deploying: the holder
  // stays and the actions stay disabled (enabled, AppConfig would roll the kill back once the alarm fires).
  let ownUnknown = false;
  if (error !== undefined && started !== undefined && deployment?.deploymentNumber !== started) {
    try {
      const d = await config.getDeployment(started);
      if (FLAG_DEPLOYMENT_RUNNING_STATES.includes(d.state)) {
        deployment = d;
        detail = `${detail}; the kill's deployment ${started} still runs (${d.state})`;
      }
    } catch (e) {
      ownUnknown = true;
      detail = `${detail}; the kill's deployment ${started} could not be read (${(e as Error).message}): it may still run`;
    }
  }
  const stillDeploying = ownUnknown || (deployment !== undefined && FLAG_DEPLOYMENT_RUNNING_STATES.includes(deployment.state));
  if (stillDeploying) outcome = 'failed';
  let monitorResumed: boolean | undefined;
  let heldBy: readonly FeatureFlagMonitorSuspension[] = [];
  let stale: readonly FeatureFlagMonitorSuspension[] = [];

  const ended = clock.now();
  const endedAt = new Date(ended).toISOString();
  const settled: FeatureFlagChange = {
    ...change,
    ...(version ? { version } : {}),
    ...(deployment ? { deploymentNumber: deployment.deploymentNumber } : ownUnknown ? { deploymentNumber: started } : {}),
    ...(stoppedAll.length ? { stoppedDeployment: stoppedAll[0].deploymentNumber } : {}),
    outcome: stillDeploying ? 'deploying' : outcome === 'failed' ? 'failed' : 'complete',
    ...(stillDeploying ? {} : { endedAt }),
    ...(detail ? { detail: recordDetail(detail) } : outcome === 'nothing-to-do' ? { detail: `already off in version ${before?.version}: nothing deployed` } : {}),
  };
  const stoppedDetail = `stopped by the kill of ${options.flag} by ${options.by} at ${change.at}`;
  let written: FeatureFlagRecord | undefined;
  try {
    written = await updateRecord(records, (r) => {
      let x = withSettled(withEnded(r, [...listed, ...endedAll]), settled);
      for (const d of stoppedAll) x = withStopped(x, d.deploymentNumber, stoppedDetail, endedAt);
      stale = holdersOf(x).filter((h) => !isHolder(h, holder) && isStaleHolder(h, clock.now()));
      return withoutHolders(x, stillDeploying ? stale : [holder, ...stale]);
    });
  } catch (e) {
    const enable = `aws cloudwatch enable-alarm-actions --alarm-names ${section.monitorAlarmName}`;
    if (stillDeploying) {
      warnings.push(`could not record the kill's outcome in the flags record (${(e as Error).message})`);
    } else {
      monitorResumed = false;
      outcome = 'failed';
      detail =
        `${detail ? `${detail}; ` : ''}could not write the flags record to release the monitor (${(e as Error).message}): its actions stay DISABLED ` +
        `(enabled, they could roll back another kill in progress). Check that no kill is in progress (bluegreen flags ${options.service}), then: ${enable}`;
      error ??= e;
    }
  }
  if (written) stale = stale.filter((h) => !holdersOf(written).some((w) => isHolder(w, h)));
  if (stale.length && written) steps.push(`cleared ${stale.map(describeHolder).join(', ')}: older than the longest kill, it died`);

  if (stillDeploying) {
    steps.push(`left the actions of monitor ${section.monitorAlarmName} disabled: the kill's deployment ${deployment?.deploymentNumber ?? started} ${ownUnknown ? 'may still run' : 'still runs'}`);
  } else if (written) {
    heldBy = holdersOf(written);
    if (heldBy.length) {
      steps.push(`left the actions of monitor ${section.monitorAlarmName} disabled: ${heldBy.map(describeHolder).join(', ')} still holds them`);
      say(`Monitor ${section.monitorAlarmName}: actions left disabled for ${heldBy.map(describeHolder).join(', ')}`);
    } else {
      try {
        await monitor.resume();
        monitorResumed = true;
        steps.push(`enabled the actions of monitor ${section.monitorAlarmName} again`);
        say(`Monitor ${section.monitorAlarmName}: actions enabled again`);
      } catch (e) {
        monitorResumed = false;
        outcome = 'failed';
        detail = `${detail ? `${detail}; ` : ''}could not enable the actions of monitor ${section.monitorAlarmName} again (${(e as Error).message})`;
        error ??= e;
        // The record says who left them disabled.
        try {
          await updateRecord(records, (r) => withHolder(r, holder));
        } catch (w) {
          warnings.push(`could not record in the flags record that this kill left the monitor's actions disabled (${(w as Error).message})`);
        }
      }
    }
  }
  // Another kill that added itself after our write, and disabled the actions before our EnableAlarmActions, expects
  // them disabled: look again, and disable them again for it.
  if (monitorResumed) {
    let newcomers: readonly FeatureFlagMonitorSuspension[] = [];
    try {
      newcomers = holdersOf((await records.read())?.record).filter((h) => !isStaleHolder(h, clock.now()));
    } catch (e) {
      warnings.push(`could not read the flags record again after enabling the actions of monitor ${section.monitorAlarmName} (${(e as Error).message}): check that no kill began meanwhile (bluegreen flags ${options.service})`);
    }
    if (newcomers.length) {
      try {
        await monitor.suspend();
        monitorResumed = undefined;
        heldBy = newcomers;
        steps.push(`disabled the actions of monitor ${section.monitorAlarmName} again: ${newcomers.map(describeHolder).join(', ')} began meanwhile`);
      } catch (e) {
        warnings.push(`${newcomers.map(describeHolder).join(', ')} began meanwhile, and the actions of monitor ${section.monitorAlarmName} could not be disabled again for it (${(e as Error).message})`);
      }
    }
  }
  const stopped = stoppedAll[0];
  return {
    ...base,
    outcome,
    steps,
    ...(version ? { version } : {}),
    ...(deployment ? { deployment: deploymentView(deployment) } : {}),
    ...(stopped ? { stoppedDeployment: deploymentView(stopped), ...(revertedAll.has(stopped.deploymentNumber) ? { stoppedWithAllowRevert: true } : {}) } : {}),
    ...(monitorResumed !== undefined ? { monitorResumed } : {}),
    ...(heldBy.length ? { monitorHeldBy: heldBy } : {}),
    ...(stillDeploying ? { stillDeploying } : {}),
    ...(detail ? { detail } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(before ? { before } : {}),
    ...(outcome === 'failed' ? await served() : {}),
    ...(warnings.length ? { warnings } : {}),
    endedAt: clock.now(),
  };

  /**
   * After our deployment `number` (built on `base`) completed: another deployment of the flags that completed
   * between our check and our start (ours was built without its change: build again from it), or one started after
   * ours with the flag on (running: stopped, and looked at again; COMPLETE: build again from it). Undefined when
   * neither: what is served has the flag off and every other change.
   */
  async function racedBy(number: number, base: FlagDeployment | undefined): Promise<{ why: string; base: FlagDeployment } | undefined> {
    for (let pass = 1; ; pass++) {
      // A racer stopped: look again after a pause, within the kill's deadline (changes that keep starting must not
      // keep the kill, and the monitor it holds disabled, forever).
      if (pass > 1) {
        const left = deadline - clock.now();
        if (left <= 0) {
          throw new KillStepError(`changes with ${options.flag} on kept starting after the kill's deployment ${number} completed (${pass - 1} stopped in ${Math.round(options.timeoutMs / 1000)} s): find who starts them (bluegreen flags ${options.service}), then run the kill again`);
        }
        await clock.sleep(Math.min(pollMs, left));
      }
      const after = await config.listDeployments();
      const racer = runningDeployment(after);
      if (racer && !racer.otherProfile && racer.deploymentNumber > number) {
        const value = valueIn(readFeatureFlagProfile(await config.readVersion(racer.configurationVersion)), options.flag);
        if (value !== false) {
          steps.push(`${describeDeployment(racer)} started after the kill with ${options.flag} ${value === null ? 'not set' : 'on'}`);
          await stop(racer);
          continue;
        }
      }
      const other = liveOf(after);
      if (!other || other.deploymentNumber <= (base?.deploymentNumber ?? 0)) return undefined;
      if (other.deploymentNumber < number) return { why: `deployment ${other.deploymentNumber} completed between the kill's check and its start (version ${other.configurationVersion})`, base: other };
      const value = valueIn(await readLive(config, other), options.flag);
      return value === false ? undefined : { why: `deployment ${other.deploymentNumber} completed after the kill with ${options.flag} on (version ${other.configurationVersion})`, base: other };
    }
  }

  /**
   * Make a running deployment end: another kill's is waited for (never stopped: it turns a flag off; the caller
   * builds on top of it); any other is stopped until it no longer runs (see stopUntilEnded). Only a stop that
   * answered stopped or reverted counts as the kill's (`stoppedAll`); one that ended on its own is `endedAll`, with
   * its real end.
   */
  async function stop(d: FlagDeployment): Promise<void> {
    // ListDeployments has no description nor strategy id: GetDeployment says whose it is.
    const fresh = await config.getDeployment(d.deploymentNumber);
    const running = FLAG_DEPLOYMENT_RUNNING_STATES.includes(fresh.state);
    if (running && isKillDeployment(fresh, section.killStrategyId)) {
      steps.push(`${describeDeployment(fresh)} is another kill's: waited for it (a kill never stops a kill) to build on top of it`);
      say(`Waiting for ${describeDeployment(fresh)}: another kill's`);
      const after = await waitForDeployment(ports, d.deploymentNumber, deadline, pollMs);
      if (FLAG_DEPLOYMENT_RUNNING_STATES.includes(after.state)) {
        throw new KillStepError(`another kill's deployment ${d.deploymentNumber} is still ${after.state} after ${Math.round(options.timeoutMs / 1000)} s`);
      }
      endedAll.push(after);
      return;
    }
    let s: Awaited<ReturnType<typeof stopUntilEnded>>;
    if (!running) {
      s = { how: 'ended', after: fresh };
    } else {
      say(`Stopping ${describeDeployment(fresh)}`);
      try {
        s = await stopUntilEnded(ports, d.deploymentNumber, deadline, pollMs);
      } catch (e) {
        if (e instanceof FlagStopTimeoutError) throw new KillStepError(`${e.message} after ${Math.round(options.timeoutMs / 1000)} s`);
        throw e;
      }
    }
    if (s.how === 'ended') {
      steps.push(`${describeDeployment(d)} ended on its own before the kill could stop it: ${s.after.state}${s.after.rollbackReason ? ` (${s.after.rollbackReason})` : ''}`);
      endedAll.push(s.after);
      return;
    }
    steps.push(`${s.how === 'reverted' ? 'stopped with AllowRevert (it was BAKING)' : 'stopped'} ${describeDeployment(fresh)}: now ${s.after.state} (the previous version is served again)`);
    stoppedAll.push(s.after);
    if (s.how === 'reverted') revertedAll.add(s.after.deploymentNumber);
  }
}

/** A dry run: what the kill would do, from what was read (plus the monitor's state). */
async function dryRunKill(
  ports: FeatureFlagPorts,
  section: FeatureFlagsDescriptor,
  options: KillFeatureFlagOptions,
  read: {
    declared: FeatureFlagProfile;
    running?: FlagDeployment;
    live?: FlagDeployment;
    base: Pick<FeatureFlagChangeResult, 'kind' | 'flag' | 'enabled' | 'dryRun' | 'startedAt'>;
    steps: string[];
    holders: readonly FeatureFlagMonitorSuspension[];
  },
): Promise<FeatureFlagChangeResult> {
  const { steps } = read;
  const state = await ports.monitor.read();
  steps.push(`would disable the actions of monitor ${section.monitorAlarmName} (now ${state.state}${state.actionsEnabled ? '' : ', actions already disabled'})`);
  if (read.running) steps.push(`would stop ${describeDeployment(read.running)}`);
  const liveProfile = await readLive(ports.config, read.live);
  const before = { version: read.live?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
  const nothing = liveProfile && before.value === false;
  steps.push(
    nothing
      ? `${options.flag} is already off in version ${before.version}, which AppConfig serves${read.running ? ' once the deployment is stopped' : ''}: nothing to deploy`
      : `would create a version with ${options.flag} off (now ${before.value === null ? 'not live' : 'on'}${before.version ? ` in version ${before.version}` : ', nothing deployed yet'}) and deploy it with the kill strategy (${section.killStrategyId})`,
  );
  steps.push(
    read.holders.length
      ? `would leave the actions of monitor ${section.monitorAlarmName} disabled while ${read.holders.map(describeHolder).join(', ')} holds them`
      : `would enable the actions of monitor ${section.monitorAlarmName} again`,
  );
  return { ...read.base, outcome: nothing ? 'nothing-to-do' : 'would-deploy', steps, before, endedAt: ports.clock.now() };
}
