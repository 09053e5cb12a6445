/** Polling a deployment until it ends (or a deadline passes). */
import type { Logger } from '../ports';
import { FLAG_DEPLOYMENT_RUNNING_STATES, FeatureFlagPorts, FlagDeployment } from './ports';
import { describeDeployment } from './types';

/** How often a command reads its deployment while waiting. */
export const FEATURE_FLAG_POLL_MS = 2_000;

/**
 * GetDeployment every `pollMs` until the deployment no longer runs or `deadline` (epoch ms) passes; returns the last
 * reading (still running at the deadline). Says each change of state or percentage on `logger`.
 */
export async function waitForDeployment(ports: FeatureFlagPorts, deploymentNumber: number, deadline: number, pollMs: number, logger?: Logger, prefix = ''): Promise<FlagDeployment> {
  let last = '';
  for (;;) {
    const d = await ports.config.getDeployment(deploymentNumber);
    const said = `${d.state} ${Math.round(d.percentageComplete)}`;
    if (said !== last && logger) logger.event({ type: 'feature-flag-deployment', message: `${prefix}${describeDeployment({ ...d, description: undefined })}`, at: ports.clock.now() });
    last = said;
    if (!FLAG_DEPLOYMENT_RUNNING_STATES.includes(d.state)) return d;
    const left = deadline - ports.clock.now();
    if (left <= 0) return d;
    await ports.clock.sleep(Math.min(pollMs, left));
  }
}
