/**
 * `bluegreen flags set`: deploy a new version of the flags with one flag changed, all at once (AppConfig.AllAtOnce)
 * or gradually (the service's gradual strategy), watched by the environment's monitor.
 */
import { FeatureFlagChange, FeatureFlagsDescriptor, nextFeatureFlagProfile, readFeatureFlagProfile, renderFeatureFlagProfile, sameFeatureFlagValues } from '../../contract';
import type { Logger } from '../ports';
import { liveDeployment, readLive, runningDeployment, sameLive, valueIn } from './live';
import { FeatureFlagMonitorSuspension, FeatureFlagPorts, FlagDeploymentConflictError } from './ports';
import { FEATURE_FLAG_BUILD_ATTEMPTS } from './kill';
import { describeHolder, FEATURE_FLAG_STALE_HOLDER_MS, holdersOf, isStaleHolder, recordDetail, updateRecord, withChange, withEnded, withoutHolders, withSettled } from './record';
import { FlagStopTimeoutError, stopUntilEnded } from './stop';
import { FeatureFlagRefusal } from './refusal';
import { deploymentView, describeDeployment, FeatureFlagChangeResult } from './types';
import { FEATURE_FLAG_POLL_MS, waitForDeployment } from './wait';

/** AWS's predefined strategy of a plain `flags set`: all at once, a 10-minute monitored bake. */
export const ALL_AT_ONCE_STRATEGY = 'AppConfig.AllAtOnce';

/** What `setFeatureFlag` is asked. */
export interface SetFeatureFlagOptions {
  /** For messages (`bluegreen flags kill <service> ...`). */
  readonly service: string;
  readonly flag: string;
  readonly enabled: boolean;
  /** Deploy with the service's gradual strategy instead of all at once. */
  readonly gradual: boolean;
  readonly reason?: string;
  /** Who (actorId()). */
  readonly by: string;
  /** Wait for the deployment to end (false: return once it started). */
  readonly wait: boolean;
  /** Longest wait, ms. */
  readonly timeoutMs: number;
  /** @default FEATURE_FLAG_POLL_MS */
  readonly pollMs?: number;
  /** Read and decide, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Progress. */
  readonly logger?: Logger;
  /** Put before each progress message (the Region, for a service in two). @default '' */
  readonly prefix?: string;
}

/** Why a deployment holds the environment, and what to do. */
export function runningRefusal(service: string, flag: string, running: Parameters<typeof describeDeployment>[0]): string {
  return `${describeDeployment(running)} holds the flags of ${service}; AppConfig runs one deployment at a time. Wait for it (bluegreen flags ${service}), or stop it with bluegreen flags kill ${service} ${flag} --reason "..."`;
}

/**
 * Refuse while a deployment runs or a kill holds the monitor; clear the holders of kills that died and enable the
 * monitor's actions they left disabled; nothing to do when what AppConfig serves already has the same flags and
 * values; else record the change, create the version, check the live flags did not change meanwhile (else build it
 * again from them, up to FEATURE_FLAG_BUILD_ATTEMPTS times), start its deployment, and (unless told not to wait)
 * follow it to COMPLETE, ROLLED_BACK or the timeout, then record the outcome (a failed record write is a warning:
 * the flag is live whatever the record says).
 *
 * @throws FeatureFlagRefusal a deployment runs, a kill is in progress, or another deployment started first
 * @throws UndeclaredFeatureFlagError the flag is not declared (nothing changed)
 */
export async function setFeatureFlag(ports: FeatureFlagPorts, section: FeatureFlagsDescriptor, options: SetFeatureFlagOptions): Promise<FeatureFlagChangeResult> {
  const { config, monitor, records, clock } = ports;
  const startedAt = clock.now();
  const prefix = options.prefix ?? '';
  const say = (message: string) => options.logger?.event({ type: 'feature-flag', message: `${prefix}${message}`, at: clock.now() });
  const kind = options.gradual ? 'gradual' : 'set';
  const value = options.enabled ? 'on' : 'off';
  const dryRun = options.dryRun === true;

  const [deployments, monitorState, stored, declaredContent] = await Promise.all([config.listDeployments(), monitor.read(), records.read(), config.readVersion(section.declaredVersion)]);
  const running = runningDeployment(deployments);
  if (running) throw new FeatureFlagRefusal(runningRefusal(options.service, options.flag, running));
  const holders = holdersOf(stored?.record);
  const dead = holders.filter((h) => isStaleHolder(h, clock.now()));
  // A kill that exited while its deployment still ran kept its holder (the actions stay disabled until that
  // deployment completes). Once its recorded deployment is COMPLETE and someone enabled the actions again (as its
  // message says), its hold is over: cleared like a dead one. Only then: a kill still running has no deployment
  // number in its change, and one whose deployment runs or whose actions are disabled keeps its hold.
  const killDeployment = (h: FeatureFlagMonitorSuspension) =>
    stored?.record.changes.find((c) => c.kind === 'kill' && c.at === h.since && c.by === h.by && c.flag === h.flag)?.deploymentNumber;
  const done = holders.filter((h) => {
    if (dead.includes(h) || !monitorState.actionsEnabled) return false;
    const n = killDeployment(h);
    return n !== undefined && deployments.some((d) => d.deploymentNumber === n && !d.otherProfile && d.state === 'COMPLETE');
  });
  const stale = [...dead, ...done];
  const active = holders.filter((h) => !stale.includes(h));
  const killing = (kills: readonly FeatureFlagMonitorSuspension[], more = '') =>
    new FeatureFlagRefusal(
      `${kills.map((h) => `a kill is in progress by ${h.by} since ${h.since} (of ${h.flag})`).join('; ')}: it holds the monitor's actions disabled, and a change now would deploy unwatched${more}. ` +
        `Wait for it (bluegreen flags ${options.service}). A kill that exited while its deployment still ran keeps its hold: once that deployment is COMPLETE and the actions ` +
        `are enabled again (aws cloudwatch enable-alarm-actions --alarm-names ${section.monitorAlarmName}), the next flags set clears it; ` +
        `a kill that died is cleared ${Math.round(FEATURE_FLAG_STALE_HOLDER_MS / 60_000)} minutes after it began`,
    );
  if (active.length) throw killing(active);
  const declared = readFeatureFlagProfile(declaredContent);
  let live = liveDeployment(deployments);
  let liveProfile = await readLive(config, live);
  // Throws UndeclaredFeatureFlagError before anything changes.
  let next = nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: options.enabled });
  let before = { version: live?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
  const steps: string[] = [];
  const warnings: string[] = [];
  const base = { kind, flag: options.flag, enabled: options.enabled, dryRun, startedAt } as const;

  let resumedMonitor = false;
  if (dead.length) steps.push(`${dryRun ? 'would clear' : 'cleared'} ${dead.map(describeHolder).join(', ')}: older than ${Math.round(FEATURE_FLAG_STALE_HOLDER_MS / 60_000)} minutes (the longest kill and a minute), it died`);
  if (done.length) {
    steps.push(
      `${dryRun ? 'would clear' : 'cleared'} ${done.map((h) => `${describeHolder(h)} (its deployment ${killDeployment(h)} is COMPLETE)`).join(', ')}: ` +
        `the monitor's actions were enabled again, its hold is over`,
    );
  }
  if (!dryRun && (stale.length || !monitorState.actionsEnabled)) {
    // Clear the dead holders with compare-and-set first: a kill that added itself since our read makes the write
    // read again, and what the write leaves decides (enabled with a kill in progress, AppConfig would roll it back).
    const written = await updateRecord(records, (r) => withoutHolders(r, stale), stored ?? null);
    if (holdersOf(written).length) throw killing(holdersOf(written), ' (it began meanwhile)');
  }
  if (!monitorState.actionsEnabled) {
    // A kill that died left the monitor's actions disabled: this change must be watched, and so must the next.
    steps.push(`${dryRun ? 'would enable' : 'enabled'} the actions of monitor ${section.monitorAlarmName} again (a kill left them disabled${stale.length ? `: ${stale.map(describeHolder).join(', ')}` : ''})`);
    if (!dryRun) {
      await monitor.resume();
      resumedMonitor = true;
      say(`Monitor ${section.monitorAlarmName}: actions were disabled (a kill did not finish); enabled them again`);
      // A kill that added itself after our write, and disabled the actions before our EnableAlarmActions, expects
      // them disabled: look again, disable them again for it, and refuse.
      const newcomers = holdersOf((await records.read())?.record);
      if (newcomers.length) {
        await monitor.suspend();
        throw killing(newcomers, ' (it began while the actions were being enabled: they are disabled again for it)');
      }
    }
  }

  if (liveProfile && sameFeatureFlagValues(liveProfile, next)) {
    steps.push(`${options.flag} is already ${value} in version ${live!.configurationVersion}, which AppConfig serves: nothing to deploy`);
    return { ...base, outcome: 'nothing-to-do', before, steps, version: live!.configurationVersion, resumedMonitor, ...(stale.length ? { clearedSuspensions: stale } : {}), endedAt: clock.now() };
  }

  const strategy = options.gradual ? section.gradualStrategyId : ALL_AT_ONCE_STRATEGY;
  const how = options.gradual ? `gradually (strategy ${strategy})` : `all at once (${ALL_AT_ONCE_STRATEGY})`;
  const description = `flags ${kind} ${options.flag} ${value} by ${options.by}${options.reason ? `: ${options.reason}` : ''}`.slice(0, 1024);
  if (dryRun) {
    steps.push(`would create a version with ${options.flag} ${value} (was ${before.value === null ? 'not live' : before.value ? 'on' : 'off'}${before.version ? ` in version ${before.version}` : ', nothing deployed yet'}) and deploy it ${how}`);
    return { ...base, outcome: 'would-deploy', before, steps, resumedMonitor, endedAt: clock.now() };
  }

  const change: FeatureFlagChange = { at: new Date(startedAt).toISOString(), by: options.by, reason: options.reason ?? '', kind, flag: options.flag, enabled: options.enabled, outcome: 'deploying' };
  await updateRecord(records, (r) => withChange(withEnded(r, deployments), change));
  const settle = async (update: Partial<FeatureFlagChange>) => {
    try {
      await updateRecord(records, (r) => withSettled(r, { ...change, ...update, endedAt: new Date(clock.now()).toISOString() }));
    } catch (e) {
      warnings.push(`could not record the outcome (${update.outcome}) in the flags record (${(e as Error).message}); AppConfig's deployment is what counts`);
    }
  };
  const result = (r: Omit<FeatureFlagChangeResult, 'kind' | 'flag' | 'enabled' | 'dryRun' | 'startedAt' | 'endedAt' | 'steps'>): FeatureFlagChangeResult => ({
    ...base,
    ...r,
    before,
    steps,
    resumedMonitor,
    ...(stale.length ? { clearedSuspensions: stale } : {}),
    ...(warnings.length ? { warnings } : {}),
    endedAt: clock.now(),
  });

  let version: string;
  let deploymentNumber: number;
  try {
    for (let attempt = 1; ; attempt++) {
      version = await config.createVersion(renderFeatureFlagProfile(next), description);
      steps.push(`created version ${version} with ${options.flag} ${value}`);
      // Another change that completed (or started) since the live version was read would be undone by this
      // version: check right before starting. A racer's start after this check makes ours a 409 (refused below)
      // while it runs; one that completed at once is found right after our start.
      const now = await config.listDeployments();
      const racer = runningDeployment(now);
      if (racer) throw new FlagDeploymentConflictError(`${describeDeployment(racer)} started meanwhile`);
      const liveAgain = liveDeployment(now);
      if (!sameLive(liveAgain, live)) {
        if (attempt >= FEATURE_FLAG_BUILD_ATTEMPTS) {
          throw new FeatureFlagRefusal(`the flags of ${options.service} kept changing while this change was built (${attempt} attempts); nothing was deployed: run it again`);
        }
        live = liveAgain;
        liveProfile = await readLive(config, live);
        next = nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: options.enabled });
        before = { version: live?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
        steps.push(`the live flags changed meanwhile (now version ${before.version}): building the version again from them`);
        say(`The live flags changed meanwhile (now version ${before.version}): building the version again`);
        if (liveProfile && sameFeatureFlagValues(liveProfile, next)) {
          steps.push(`${options.flag} is now ${value} in version ${live!.configurationVersion}, which AppConfig serves: nothing to deploy`);
          await settle({ outcome: 'complete', detail: `already ${value} in version ${live!.configurationVersion}: nothing deployed` });
          return result({ outcome: 'nothing-to-do', version: live!.configurationVersion });
        }
        continue;
      }
      deploymentNumber = await config.startDeployment(version, strategy, description);
      // A kill that wrote its holder after our first read lists the deployments only after that write: if it listed
      // before our start it did not see ours, and may end "already off" while ours turns the flag on. Read the
      // record again now: a kill in progress wins, ours is stopped (only ever our own deployment).
      await refuseForKill(deploymentNumber);
      // A kill completes at once: one that started after our check and completed before our start met no running
      // deployment, and ours, built without it, would turn its flag back on. Ours still runs: stop it and build again.
      const between = liveDeployment((await config.listDeployments()).filter((d) => d.deploymentNumber < deploymentNumber));
      if (!sameLive(between, live)) {
        // Only ever our own deployment: never another command's (a kill's above all).
        const own = deploymentNumber;
        const racer = between ? `deployment ${between.deploymentNumber}` : 'a change';
        let stopped: Awaited<ReturnType<typeof stopUntilEnded>>;
        try {
          stopped = await stopUntilEnded(ports, own, startedAt + options.timeoutMs, options.pollMs ?? FEATURE_FLAG_POLL_MS);
        } catch (e) {
          if (!(e instanceof FlagStopTimeoutError)) throw e;
          throw new Error(`${racer} completed between the check and the start, so deployment ${own} was built without it and had to be stopped, but ${e.message}: stop it (bluegreen flags kill ${options.service} ${options.flag} --reason "...")`);
        }
        if (stopped.after.state === 'COMPLETE') {
          throw new Error(
            `${racer} completed between the check and the start, and deployment ${own}, built without it, COMPLETEd before it could be stopped: it undid ${racer}'s change. ` +
              `Look at the flags (bluegreen flags ${options.service}) and run that change again`,
          );
        }
        steps.push(`${racer} completed between the check and the start: stopped deployment ${own} (built without it)`);
        if (attempt >= FEATURE_FLAG_BUILD_ATTEMPTS) {
          throw new FeatureFlagRefusal(
            `the flags of ${options.service} kept changing while this change was built (${attempt} attempts; last: ${racer} completed between the check and the start). ` +
              `Deployment ${own} was stopped (it would have undone that change): nothing of this change is served. Run it again`,
          );
        }
        live = between;
        liveProfile = await readLive(config, live);
        next = nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: options.enabled });
        before = { version: live?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
        steps.push(`building the version again from version ${before.version}`);
        continue;
      }
      break;
    }
    steps.push(`started deployment ${deploymentNumber} ${how}`);
    say(`Deploying version ${version} (${options.flag} ${value}) ${how}: deployment ${deploymentNumber}`);
  } catch (e) {
    const conflict = e instanceof FlagDeploymentConflictError;
    await settle({ outcome: 'failed', detail: recordDetail(conflict ? `another deployment started first: ${(e as Error).message}` : (e as Error).message) });
    if (conflict) {
      const now = runningDeployment(await config.listDeployments());
      throw new FeatureFlagRefusal(now ? runningRefusal(options.service, options.flag, now) : `another deployment of the flags of ${options.service} started first (${(e as Error).message}); nothing was deployed: run the command again`);
    }
    throw e;
  }

  /**
   * Stop our own deployment `own` and refuse when a kill that is not stale holds the monitor now (or the record
   * cannot be read to know: the safe side for a kill).
   */
  async function refuseForKill(own: number): Promise<void> {
    let kills: readonly FeatureFlagMonitorSuspension[];
    let why: string;
    try {
      kills = holdersOf((await records.read())?.record).filter((h) => !isStaleHolder(h, clock.now()));
      if (!kills.length) return;
      why = `a kill began while this change started (${kills.map(describeHolder).join(', ')})`;
    } catch (e) {
      kills = [];
      why = `the flags record could not be read after deployment ${own} started, to check that no kill began meanwhile (${(e as Error).message})`;
    }
    let stopped: Awaited<ReturnType<typeof stopUntilEnded>>;
    try {
      stopped = await stopUntilEnded(ports, own, startedAt + options.timeoutMs, options.pollMs ?? FEATURE_FLAG_POLL_MS);
    } catch (e) {
      if (!(e instanceof FlagStopTimeoutError)) throw e;
      throw new Error(`${why}, so deployment ${own} had to be stopped, but ${e.message}: stop it (bluegreen flags kill ${options.service} ${options.flag} --reason "...")`);
    }
    if (stopped.after.state === 'COMPLETE') {
      throw new Error(`${why}, and deployment ${own} COMPLETEd before it could be stopped: look at the flags (bluegreen flags ${options.service}) and run the kill again if it was undone`);
    }
    steps.push(`${why}: stopped deployment ${own}`);
    const message = `${why}: deployment ${own} was stopped, nothing of this change is served. Wait for the kill (bluegreen flags ${options.service}), then run the change again`;
    throw kills.length ? new FeatureFlagRefusal(message) : new Error(message);
  }

  if (!options.wait) {
    await settle({ version, deploymentNumber, outcome: 'deploying' });
    const d = await config.getDeployment(deploymentNumber);
    return result({ outcome: 'deploying', version, deployment: deploymentView(d) });
  }
  const d = await waitForDeployment(ports, deploymentNumber, startedAt + options.timeoutMs, options.pollMs ?? FEATURE_FLAG_POLL_MS, options.logger, prefix);
  const deployment = deploymentView(d);
  if (d.state === 'COMPLETE') {
    await settle({ version, deploymentNumber, outcome: 'complete' });
    return result({ outcome: 'complete', version, deployment });
  }
  if (d.state === 'ROLLED_BACK' || d.state === 'REVERTED') {
    const detail = d.rollbackReason ?? `AppConfig ${d.state === 'REVERTED' ? 'reverted' : 'rolled back'} the deployment (a monitor alarm, or a stop)`;
    await settle({ version, deploymentNumber, outcome: d.state === 'REVERTED' ? 'stopped' : 'rolled-back', detail: recordDetail(detail) });
    return result({ outcome: 'rolled-back', version, deployment, detail });
  }
  // Still running at the timeout: the record keeps `deploying`; the deployment goes on without us.
  await settle({ version, deploymentNumber, outcome: 'deploying' });
  return result({ outcome: 'deploying', version, deployment });
}
