/** What AppConfig serves, from the environment's deployments. */
import { FeatureFlagProfile, readFeatureFlagProfile } from '../../contract';
import { FLAG_DEPLOYMENT_RUNNING_STATES, FeatureFlagConfigPort, FlagDeployment } from './ports';

/** The deployment that holds the environment (one at a time), if any. */
export function runningDeployment(deployments: readonly FlagDeployment[]): FlagDeployment | undefined {
  return deployments.find((d) => FLAG_DEPLOYMENT_RUNNING_STATES.includes(d.state));
}

/** The newest COMPLETE deployment: its version is what AppConfig serves. */
export function liveDeployment(deployments: readonly FlagDeployment[]): FlagDeployment | undefined {
  return [...deployments].sort((a, b) => b.deploymentNumber - a.deploymentNumber).find((d) => d.state === 'COMPLETE');
}

/** The live version's profile; undefined when nothing is deployed. */
export async function readLive(config: FeatureFlagConfigPort, live: FlagDeployment | undefined): Promise<FeatureFlagProfile | undefined> {
  return live ? readFeatureFlagProfile(await config.readVersion(live.configurationVersion)) : undefined;
}

/** A flag's value in a profile; null when it is not in it (or there is none). */
export function valueIn(profile: FeatureFlagProfile | undefined, flag: string): boolean | null {
  return profile?.flags.find((f) => f.name === flag)?.enabled ?? null;
}
