/**
 * `bluegreen flags set`: deploy a new version of the flags with one flag changed, all at once (AppConfig.AllAtOnce)
 * or gradually (the service's gradual strategy), watched by the environment's monitor.
 */
import { FeatureFlagChange, FeatureFlagsDescriptor, nextFeatureFlagProfile, readFeatureFlagProfile, renderFeatureFlagProfile } from '../../contract';
import type { Logger } from '../ports';
import { liveDeployment, readLive, runningDeployment, valueIn } from './live';
import { FeatureFlagPorts, FlagDeploymentConflictError } from './ports';
import { recordDetail, updateRecord, withChange, withSettled } from './record';
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
  /** Who (ownerId()). */
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
 * Refuse while a deployment runs; resume a monitor a dead kill left suspended; nothing to do when what AppConfig
 * serves already equals the next version; else record the change, create the version, start its deployment, and
 * (unless told not to wait) follow it to COMPLETE, ROLLED_BACK or the timeout, then record the outcome.
 *
 * @throws FeatureFlagRefusal a deployment runs, or another started first (nothing changed but the record)
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
  const declared = readFeatureFlagProfile(declaredContent);
  const live = liveDeployment(deployments);
  const liveProfile = await readLive(config, live);
  // Throws UndeclaredFeatureFlagError before anything changes.
  const next = nextFeatureFlagProfile(declared, liveProfile, { flag: options.flag, enabled: options.enabled });
  const before = { version: live?.configurationVersion ?? null, value: valueIn(liveProfile, options.flag) };
  const steps: string[] = [];
  const base = { kind, flag: options.flag, enabled: options.enabled, dryRun, before, startedAt } as const;

  let resumedMonitor = false;
  if (!monitorState.actionsEnabled) {
    // A kill that died left the monitor's actions disabled: this change must be watched, and so must the next.
    steps.push(`${dryRun ? 'would enable' : 'enabled'} the actions of monitor ${section.monitorAlarmName} again (a kill left them disabled${stored?.record.monitorSuspended ? ` since ${stored.record.monitorSuspended.since}, by ${stored.record.monitorSuspended.by}` : ''})`);
    if (!dryRun) {
      await monitor.resume();
      await updateRecord(records, withoutSuspended);
      resumedMonitor = true;
      say(`Monitor ${section.monitorAlarmName}: actions were disabled (a kill did not finish); enabled them again`);
    }
  }

  const content = renderFeatureFlagProfile(next);
  if (liveProfile && renderFeatureFlagProfile(liveProfile) === content) {
    steps.push(`${options.flag} is already ${value} in version ${live!.configurationVersion}, which AppConfig serves: nothing to deploy`);
    const endedAt = clock.now();
    return { ...base, outcome: 'nothing-to-do', steps, version: live!.configurationVersion, resumedMonitor, endedAt };
  }

  const strategy = options.gradual ? section.gradualStrategyId : ALL_AT_ONCE_STRATEGY;
  const how = options.gradual ? `gradually (strategy ${strategy})` : `all at once (${ALL_AT_ONCE_STRATEGY})`;
  const description = `flags ${kind} ${options.flag} ${value} by ${options.by}${options.reason ? `: ${options.reason}` : ''}`.slice(0, 1024);
  if (dryRun) {
    steps.push(`would create a version with ${options.flag} ${value} (was ${before.value === null ? 'not live' : before.value ? 'on' : 'off'}${before.version ? ` in version ${before.version}` : ', nothing deployed yet'}) and deploy it ${how}`);
    return { ...base, outcome: 'would-deploy', steps, resumedMonitor, endedAt: clock.now() };
  }

  const change: FeatureFlagChange = { at: new Date(startedAt).toISOString(), by: options.by, reason: options.reason ?? '', kind, flag: options.flag, enabled: options.enabled, outcome: 'deploying' };
  await updateRecord(records, (r) => withChange(r, change, undefined));
  const settle = (update: Partial<FeatureFlagChange>) => updateRecord(records, (r) => withSettled(r, { ...change, ...update, endedAt: new Date(clock.now()).toISOString() }, undefined));

  let version: string;
  let deploymentNumber: number;
  try {
    version = await config.createVersion(content, description);
    steps.push(`created version ${version} with ${options.flag} ${value}`);
    deploymentNumber = await config.startDeployment(version, strategy, description);
    steps.push(`started deployment ${deploymentNumber} ${how}`);
    say(`Deploying version ${version} (${options.flag} ${value}) ${how}: deployment ${deploymentNumber}`);
  } catch (e) {
    const conflict = e instanceof FlagDeploymentConflictError;
    await settle({ outcome: 'failed', detail: recordDetail(conflict ? `another deployment started first: ${(e as Error).message}` : (e as Error).message) }).catch(() => undefined);
    if (conflict) {
      const now = runningDeployment(await config.listDeployments());
      throw new FeatureFlagRefusal(now ? runningRefusal(options.service, options.flag, now) : `another deployment of the flags of ${options.service} started first (${(e as Error).message}); nothing was deployed: run the command again`);
    }
    throw e;
  }

  if (!options.wait) {
    await settle({ version, deploymentNumber, outcome: 'deploying' });
    const d = await config.getDeployment(deploymentNumber);
    return { ...base, outcome: 'deploying', steps, version, deployment: deploymentView(d), resumedMonitor, endedAt: clock.now() };
  }
  const d = await waitForDeployment(ports, deploymentNumber, startedAt + options.timeoutMs, options.pollMs ?? FEATURE_FLAG_POLL_MS, options.logger, prefix);
  const deployment = deploymentView(d);
  if (d.state === 'COMPLETE') {
    await settle({ version, deploymentNumber, outcome: 'complete' });
    return { ...base, outcome: 'complete', steps, version, deployment, resumedMonitor, endedAt: clock.now() };
  }
  if (d.state === 'ROLLED_BACK' || d.state === 'REVERTED') {
    const detail = d.rollbackReason ?? `AppConfig ${d.state === 'REVERTED' ? 'reverted' : 'rolled back'} the deployment (a monitor alarm, or a stop)`;
    await settle({ version, deploymentNumber, outcome: 'rolled-back', detail: recordDetail(detail) });
    return { ...base, outcome: 'rolled-back', steps, version, deployment, resumedMonitor, detail, endedAt: clock.now() };
  }
  // Still running at the timeout: the record keeps `deploying`; the deployment goes on without us.
  await settle({ version, deploymentNumber, outcome: 'deploying' });
  return { ...base, outcome: 'deploying', steps, version, deployment, resumedMonitor, endedAt: clock.now() };
}

function withoutSuspended<R extends { monitorSuspended?: unknown }>(record: R): R {
  const { monitorSuspended: _, ...rest } = record;
  return rest as R;
}
