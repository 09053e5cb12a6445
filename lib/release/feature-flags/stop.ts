/** Stopping a running deployment until it no longer runs, whatever state AppConfig moves it through meanwhile. */
import { FLAG_DEPLOYMENT_RUNNING_STATES, FeatureFlagPorts, FlagDeployment } from './ports';
import { waitForDeployment } from './wait';

/** How a stop ended: `stopped` (plainly), `reverted` (a BAKING one, with AllowRevert), `ended` (it ended on its own: not stopped). */
export interface StoppedDeployment {
  readonly how: 'stopped' | 'reverted' | 'ended';
  /** The deployment once it no longer runs. */
  readonly after: FlagDeployment;
}

/** A deployment still runs at the deadline. */
export class FlagStopTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagStopTimeoutError';
  }
}

/**
 * StopDeployment until the deployment no longer runs: `busy` is read again, and VALIDATING waited out (AppConfig
 * stops it only after), DEPLOYING or BAKING stopped again (it left VALIDATING meanwhile: never waited out, it would
 * roll out), ROLLING_BACK waited to its end (it is being undone already, by someone else: `ended`). `ended`: it
 * completed or rolled back on its own, which the caller must not count as its stop.
 *
 * @throws FlagStopTimeoutError when it still runs at `deadline`
 */
export async function stopUntilEnded(ports: FeatureFlagPorts, deploymentNumber: number, deadline: number, pollMs: number): Promise<StoppedDeployment> {
  const { config, clock } = ports;
  let how: StoppedDeployment['how'] | undefined;
  /** The last read said DEPLOYING or BAKING after a refused stop: stop again at once, but only once without a pause. */
  let again = false;
  for (;;) {
    const r = await config.stopDeployment(deploymentNumber);
    if (r !== 'busy') {
      how = how ?? r;
      break;
    }
    const now = await config.getDeployment(deploymentNumber);
    if (!FLAG_DEPLOYMENT_RUNNING_STATES.includes(now.state)) {
      how = 'ended';
      break;
    }
    if (now.state === 'ROLLING_BACK') {
      // Not our stop (AppConfig refused it): someone else's rollback, the alarm's most often. It ends on its own,
      // and is recorded with that real end (rolled-back, with its reason), not as stopped by us.
      how = 'ended';
      break;
    }
    // DEPLOYING or BAKING: it left VALIDATING between the refused stop and this read: stop it again, at once the
    // first time (never wait it out: it would roll out).
    const restop = now.state !== 'VALIDATING';
    if (restop && !again) {
      again = true;
      continue;
    }
    again = restop;
    const left = deadline - clock.now();
    if (left <= 0) throw new FlagStopTimeoutError(`deployment ${deploymentNumber} is still ${now.state}: AppConfig ${restop ? 'refused to stop it' : 'stops it only once it leaves VALIDATING'}`);
    await clock.sleep(Math.min(pollMs, left));
  }
  const after = await waitForDeployment(ports, deploymentNumber, deadline, pollMs);
  if (FLAG_DEPLOYMENT_RUNNING_STATES.includes(after.state)) throw new FlagStopTimeoutError(`deployment ${deploymentNumber} was stopped but is still ${after.state}`);
  // A stop answered `stopped` for a deployment that COMPLETEs anyway did not stop it.
  return { how: after.state === 'COMPLETE' ? 'ended' : how, after };
}
