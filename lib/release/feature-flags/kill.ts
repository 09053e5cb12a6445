/**
 * `bluegreen flags kill`: the kill switch. Turn one flag off everywhere as fast as AppConfig allows, whatever runs:
 * suspend the monitor (so the incident being answered does not roll the kill back), stop a running deployment,
 * deploy the flag off with the kill strategy (all at once, no bake), and always enable the monitor's actions again.
 * Every step goes into the record, so a kill that dies part way leaves a trace the next command acts on.
 */
import { FeatureFlagChange, FeatureFlagProfile, FeatureFlagsDescriptor, nextFeatureFlagProfile, readFeatureFlagProfile, renderFeatureFlagProfile, UndeclaredFeatureFlagError } from '../../contract';
import type { Logger } from '../ports';
import { liveDeployment, readLive, runningDeployment, valueIn } from './live';
import { FeatureFlagPorts, FLAG_DEPLOYMENT_RUNNING_STATES, FlagDeployment, FlagDeploymentConflictError } from './ports';
import { recordDetail, updateRecord, withChange, withSettled } from './record';
import { deploymentView, describeDeployment, FeatureFlagChangeResult } from './types';
import { FEATURE_FLAG_POLL_MS, waitForDeployment } from './wait';

/** What `killFeatureFlag` is asked. */
export interface KillFeatureFlagOptions {
  readonly service: string;
  readonly flag: string;
  /** Why (required: a kill is an incident action). */
  readonly reason: string;
  /** Who (ownerId()). */
  readonly by: string;
  /** Longest the whole kill may take (stopping, deploying), ms. */
  readonly timeoutMs: number;
  /** @default FEATURE_FLAG_POLL_MS */
  readonly pollMs?: number;
  /** Read and decide, change nothing. @default false */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  /** @default '' */
  readonly prefix?: string;
}

/** A step of the kill did not happen as it must. */
class KillStepError extends Error {}

/**
 * Kill `flag`: record the change (`deploying`, monitor suspended), suspend the monitor, stop a running deployment and
 * wait until it no longer runs, then unless the flag is already off in what AppConfig serves, create a version with
 * it off and deploy it with the kill strategy (a racer's deployment in between is stopped and the start tried once
 * more), and follow it to COMPLETE. The monitor's actions are enabled again whatever happened, and the record says
 * how it ended. Never throws for a failed step: the result is `failed` with the detail and what AppConfig serves.
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

  let declared: FeatureFlagProfile;
  let deployments: FlagDeployment[];
  let stored: Awaited<ReturnType<typeof records.read>>;
  try {
    const [declaredContent, listed, record] = await Promise.all([config.readVersion(section.declaredVersion), config.listDeployments(), records.read()]);
    declared = readFeatureFlagProfile(declaredContent);
    deployments = listed;
    stored = record;
  } catch (e) {
    return { ...base, outcome: 'failed', steps: ['could not read the flags, their deployments or the record: nothing was changed'], detail: (e as Error).message, error: e, served: await served(ports, options.flag), endedAt: clock.now() };
  }
  if (!declared.flags.some((f) => f.name === options.flag)) throw new UndeclaredFeatureFlagError(options.flag, declared.flags.map((f) => f.name));
  const running = runningDeployment(deployments);
  const live = liveDeployment(deployments);

  if (dryRun) return dryRunKill(ports, section, options, { declared, running, live, base, steps });

  const change: FeatureFlagChange = { at: new Date(startedAt).toISOString(), by: options.by, reason: options.reason, kind: 'kill', flag: options.flag, enabled: false, outcome: 'deploying' };
  let suspendTried = false;
  let stopped: FlagDeployment | undefined;
  let version: string | undefined;
  let deployment: FlagDeployment | undefined;
  let before: { version: string | null; value: boolean | null } | undefined;
  let outcome: 'complete' | 'nothing-to-do' | 'failed' = 'failed';
  let detail: string | undefined;
  let error: unknown;
  try {
    await updateRecord(records, (r) => withChange(r, change, { by: options.by, since: change.at }), stored ?? null);
    suspendTried = true;
    await monitor.suspend();
    steps.push(`disabled the actions of monitor ${section.monitorAlarmName}`);
    say(`Monitor ${section.monitorAlarmName}: actions disabled while the kill deploys`);

    let liveNow = live;
    if (running) {
      stopped = await stop(running);
      liveNow = liveDeployment(await config.listDeployments());
    }
    const liveProfile = await readLive(config, liveNow);
    before = { version: liveNow?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
    if (liveProfile && before.value === false) {
      steps.push(`${options.flag} is already off in version ${liveNow!.configurationVersion}, which AppConfig serves: nothing to deploy`);
      say(`${options.flag} is already off in version ${liveNow!.configurationVersion}: nothing to deploy`);
      outcome = 'nothing-to-do';
    } else {
      const description = `flags kill ${options.flag} by ${options.by}: ${options.reason}`.slice(0, 1024);
      version = await config.createVersion(renderFeatureFlagProfile(nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: false })), description);
      steps.push(`created version ${version} with ${options.flag} off`);
      let number: number;
      try {
        number = await config.startDeployment(version, section.killStrategyId, description);
      } catch (e) {
        if (!(e instanceof FlagDeploymentConflictError)) throw e;
        // Another command started a deployment between our stop and our start: stop it too, and start once more.
        const racer = runningDeployment(await config.listDeployments());
        if (racer) await stop(racer);
        number = await config.startDeployment(version, section.killStrategyId, description);
      }
      steps.push(`started deployment ${number} with the kill strategy (${section.killStrategyId})`);
      say(`Deploying version ${version} (${options.flag} off) with the kill strategy: deployment ${number}`);
      deployment = await waitForDeployment(ports, number, deadline, pollMs, options.logger, prefix);
      if (deployment.state === 'COMPLETE') {
        steps.push(`deployment ${number} COMPLETE: ${options.flag} is off`);
        outcome = 'complete';
      } else {
        detail = FLAG_DEPLOYMENT_RUNNING_STATES.includes(deployment.state)
          ? `${describeDeployment({ ...deployment, description: undefined })} is still running after ${Math.round(options.timeoutMs / 1000)} s`
          : `deployment ${number} ended ${deployment.state}${deployment.rollbackReason ? `: ${deployment.rollbackReason}` : ''}`;
      }
    }
  } catch (e) {
    error = e;
    detail = (e as Error).message;
  }

  const warnings: string[] = [];
  let monitorResumed: boolean | undefined;
  if (suspendTried) {
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
    }
  }
  const ended = clock.now();
  const settled: FeatureFlagChange = {
    ...change,
    ...(version ? { version } : {}),
    ...(deployment ? { deploymentNumber: deployment.deploymentNumber } : {}),
    ...(stopped ? { stoppedDeployment: stopped.deploymentNumber } : {}),
    outcome: outcome === 'failed' ? 'failed' : 'complete',
    endedAt: new Date(ended).toISOString(),
    ...(detail ? { detail: recordDetail(detail) } : outcome === 'nothing-to-do' ? { detail: `already off in version ${before?.version}: nothing deployed` } : {}),
  };
  // The first write failed: nothing was suspended, nothing to settle (the record may be out of reach).
  if (suspendTried) {
    try {
      await updateRecord(records, (r) => withSettled(r, settled, monitorResumed ? null : undefined));
    } catch (e) {
      warnings.push(`could not record the kill's outcome in the flags record (${(e as Error).message})`);
    }
  }
  return {
    ...base,
    outcome,
    steps,
    ...(version ? { version } : {}),
    ...(deployment ? { deployment: deploymentView(deployment) } : {}),
    ...(stopped ? { stoppedDeployment: deploymentView(stopped) } : {}),
    ...(monitorResumed !== undefined ? { monitorResumed } : {}),
    ...(detail ? { detail } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(before ? { before } : {}),
    ...(outcome === 'failed' ? { served: await served(ports, options.flag) } : {}),
    ...(warnings.length ? { warnings } : {}),
    endedAt: clock.now(),
  };

  /** Stop a running deployment and wait until it no longer runs. */
  async function stop(d: FlagDeployment): Promise<FlagDeployment> {
    await config.stopDeployment(d.deploymentNumber);
    say(`Stopping ${describeDeployment(d)}`);
    const after = await waitForDeployment(ports, d.deploymentNumber, deadline, pollMs);
    if (FLAG_DEPLOYMENT_RUNNING_STATES.includes(after.state)) throw new KillStepError(`deployment ${d.deploymentNumber} was stopped but is still ${after.state} after ${Math.round(options.timeoutMs / 1000)} s`);
    steps.push(`stopped ${describeDeployment(d)}: now ${after.state}`);
    return after;
  }
}

/** What AppConfig serves now and the flag's value in it, best effort (for the message of a kill that failed). */
async function served(ports: FeatureFlagPorts, flag: string): Promise<{ version: string | null; value: boolean | null } | undefined> {
  try {
    const live = liveDeployment(await ports.config.listDeployments());
    return { version: live?.configurationVersion ?? null, value: valueIn(await readLive(ports.config, live), flag) };
  } catch {
    return undefined;
  }
}

/** A dry run: what the kill would do, from what was read (plus the monitor's state). */
async function dryRunKill(
  ports: FeatureFlagPorts,
  section: FeatureFlagsDescriptor,
  options: KillFeatureFlagOptions,
  read: { declared: FeatureFlagProfile; running?: FlagDeployment; live?: FlagDeployment; base: Pick<FeatureFlagChangeResult, 'kind' | 'flag' | 'enabled' | 'dryRun' | 'startedAt'>; steps: string[] },
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
  steps.push(`would enable the actions of monitor ${section.monitorAlarmName} again`);
  return { ...read.base, outcome: nothing ? 'nothing-to-do' : 'would-deploy', steps, before, endedAt: ports.clock.now() };
}
