/** What AppConfig serves, from the environment's deployments. */
import { FeatureFlagProfile, readFeatureFlagProfile } from '../../contract';
import { FLAG_DEPLOYMENT_RUNNING_STATES, FeatureFlagConfigPort, FlagDeployment } from './ports';

/** The deployment that holds the environment (one at a time, whatever its profile), if any. */
export function runningDeployment(deployments: readonly FlagDeployment[]): FlagDeployment | undefined {
  return deployments.find((d) => FLAG_DEPLOYMENT_RUNNING_STATES.includes(d.state));
}

/** How a kill's deployment description begins (`flags kill <flag> by <who>: <reason>`). */
export const FEATURE_FLAG_KILL_DESCRIPTION_MARKER = 'flags kill ';

/**
 * Whether a deployment is a kill's: its strategy is the kill strategy (GetDeployment), its description begins with
 * the kill's marker, or its shape is the kill strategy's (growth 100 %, 0 minutes, no bake: all ListDeployments says).
 * A kill waits for another kill's deployment and builds on top of it; it never stops it.
 */
export function isKillDeployment(d: FlagDeployment, killStrategyId: string): boolean {
  if (d.strategyId !== undefined && d.strategyId === killStrategyId) return true;
  if (d.description?.startsWith(FEATURE_FLAG_KILL_DESCRIPTION_MARKER)) return true;
  return d.growthFactor === 100 && d.deploymentDurationMinutes === 0 && d.finalBakeTimeMinutes === 0;
}

/** The newest COMPLETE deployment of the flags profile: its version is what AppConfig serves once nothing runs. */
export function liveDeployment(deployments: readonly FlagDeployment[]): FlagDeployment | undefined {
  return [...deployments].sort((a, b) => b.deploymentNumber - a.deploymentNumber).find((d) => d.state === 'COMPLETE' && !d.otherProfile);
}

/** Whether two readings name the same live deployment (both none, or the same number). */
export function sameLive(a: FlagDeployment | undefined, b: FlagDeployment | undefined): boolean {
  return (a?.deploymentNumber ?? null) === (b?.deploymentNumber ?? null);
}

/** The live version's profile; undefined when nothing is deployed. */
export async function readLive(config: FeatureFlagConfigPort, live: FlagDeployment | undefined): Promise<FeatureFlagProfile | undefined> {
  return live ? readFeatureFlagProfile(await config.readVersion(live.configurationVersion)) : undefined;
}

/** A flag's value in a profile; null when it is not in it (or there is none). */
export function valueIn(profile: FeatureFlagProfile | undefined, flag: string): boolean | null {
  return profile?.flags.find((f) => f.name === flag)?.enabled ?? null;
}

/**
 * What the instances get: the live version, and a running deployment of the flags (at its percentage: BAKING is 100 %)
 * with the flag's value in its version. Best effort for messages: undefined when it cannot be read.
 */
export async function servedNow(config: FeatureFlagConfigPort, flag: string): Promise<ServedFlag | undefined> {
  try {
    const deployments = await config.listDeployments();
    const live = liveDeployment(deployments);
    const running = runningDeployment(deployments);
    const served: ServedFlag = { version: live?.configurationVersion ?? null, value: valueIn(await readLive(config, live), flag) };
    if (!running || running.otherProfile) return served;
    const value = valueIn(readFeatureFlagProfile(await config.readVersion(running.configurationVersion)), flag);
    return { ...served, rollout: { deploymentNumber: running.deploymentNumber, state: running.state, percentage: running.percentageComplete, version: running.configurationVersion, value } };
  } catch {
    return undefined;
  }
}

/** What the instances get for one flag. */
export interface ServedFlag {
  /** The live (newest COMPLETE) version; null: nothing deployed. */
  readonly version: string | null;
  /** The flag in it; null: not in it, or nothing deployed. */
  readonly value: boolean | null;
  /** A deployment of the flags still running: its version reaches `percentage` % of the instances (BAKING: all). */
  readonly rollout?: { readonly deploymentNumber: number; readonly state: string; readonly percentage: number; readonly version: string; readonly value: boolean | null };
}

/** `AppConfig serves version 4, where x is on; deployment 5 BAKING: serving version 6 (x off) to 100 %`. */
export function describeServed(served: ServedFlag, flag: string): string {
  const onOff = (v: boolean | null) => (v === true ? 'on' : v === false ? 'off' : 'not set (apps use their default)');
  const live = served.version === null ? 'AppConfig serves no version (apps use their defaults)' : `AppConfig serves version ${served.version}, where ${flag} is ${onOff(served.value)}`;
  const r = served.rollout;
  return r ? `${live}; deployment ${r.deploymentNumber} ${r.state}: serving version ${r.version} (${flag} ${onOff(r.value)}) to ${Math.round(r.percentage)} %` : live;
}
