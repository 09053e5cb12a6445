import { releaseInProgressError } from './lease';
import { PreflightCheck } from './outcome';
import { formatDuration } from './parsing';
import {
  AlarmGate,
  CapacityState,
  ColourName,
  DeployedImages,
  FleetCapacity,
  otherColour,
  ReleaseState,
  ReleaseStateStore,
  StagedImages,
  StagedImageVerdict,
  TargetHealth,
  TargetHealthCount,
  TrafficRouter,
  VersionedState,
  Weights,
} from './ports';
import { formatWeights, liveColour } from './weights';

/** One colour as the read ports see it. */
export interface ColourObservation {
  readonly capacity: CapacityState;
  readonly health: TargetHealthCount;
  /** Gate alarms in ALARM. */
  readonly firing: string[];
}

/** Everything pre-flight, `plan` and `status` look at, read in one go (8 read calls, run concurrently). */
export interface ServiceObservation {
  /** The release record, if any. */
  readonly stored?: VersionedState;
  /** Production weights. */
  readonly weights: Weights;
  readonly blue: ColourObservation;
  readonly green: ColourObservation;
}

/** The read ports `observe` uses. */
export interface ObservationPorts {
  readonly traffic: TrafficRouter;
  readonly health: TargetHealth;
  readonly alarms: AlarmGate;
  readonly capacity: FleetCapacity;
  readonly state: ReleaseStateStore;
}

/** Read the release record, the weights, and each colour's capacity, target health and firing gate alarms. */
export async function observe(ports: ObservationPorts): Promise<ServiceObservation> {
  const colour = async (c: ColourName): Promise<ColourObservation> => {
    const [capacity, health, firing] = await Promise.all([ports.capacity.describe(c), ports.health.count(c), ports.alarms.firing(c)]);
    return { capacity, health, firing };
  };
  const [stored, weights, blue, green] = await Promise.all([ports.state.read(), ports.traffic.getWeights(), colour('blue'), colour('green')]);
  return { stored, weights, blue, green };
}

/** The verdict of pre-flight. */
export interface PreflightResult {
  /** Every check, in order; candidate checks are absent when no colour is live. */
  readonly checks: PreflightCheck[];
  /** Whether every check passed. */
  readonly ok: boolean;
  /** The live colour (100 % now), when there is exactly one. */
  readonly stable?: ColourName;
  /** The colour to release: the idle one. */
  readonly candidate?: ColourName;
  /** Healthy targets the candidate must keep during the release: its desired capacity. */
  readonly expectedHealthy: number;
}

/**
 * Pre-flight checks, run before any weight moves: no release in progress; one colour holds all traffic; the
 * candidate is the idle colour, has capacity and all its expected targets healthy (a target group with no healthy
 * target fails open on an ALB); the live colour is healthy too (it is where a rollback goes); no gate alarm fires on
 * either colour.
 *
 * With `allowZeroCapacity` and both colours at desired 0 (a pilot-light standby, which serves no one), capacity and
 * health pass with no target expected: the release moves weights only.
 *
 * @param requested the colour the caller asked to release, if any
 */
export function evaluatePreflight(obs: ServiceObservation, requested: ColourName | undefined, now: number, allowZeroCapacity = false): PreflightResult {
  const checks: PreflightCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const record = obs.stored?.state;
  const inProgress = record?.status === 'in-progress';
  check(
    'no-release-in-progress',
    !inProgress,
    inProgress ? releaseInProgressError(record, now).message : `no release in progress${record ? ` (last: ${record.releaseId}, ${record.status})` : ''}`,
  );

  const stable = liveColour(obs.weights);
  check('weights-settled', stable !== undefined, stable ? `${stable} holds all traffic` : unsettledDetail(obs, inProgress));
  if (!stable) return { checks, ok: false, expectedHealthy: 0 };

  const candidate = otherColour(stable);
  const idle = requested === undefined || requested === candidate;
  check('candidate-idle', idle, idle ? `${candidate} is idle (0 %)` : `${requested} is live (100 %); the idle colour, which a release moves traffic to, is ${candidate}`);

  const cand = obs[candidate];
  const live = obs[stable];
  const zero = allowZeroCapacity && cand.capacity.desired === 0 && live.capacity.desired === 0;
  const hasCapacity = cand.capacity.desired >= 1 || zero;
  const scaling = scalingDown(record, candidate, now);
  check(
    'candidate-capacity',
    hasCapacity && !scaling,
    scaling
      ? `${candidate} is being put in standby by scale-down (${scaling}): wait, then deploy it as ready before releasing it`
      : zero
        ? `both colours at desired 0 (pilot light, serving no one): the release moves weights only`
        : hasCapacity
          ? `${candidate} desired capacity ${cand.capacity.desired}`
          : `${candidate} is in standby (desired 0): deploy it as ready before releasing it`,
  );
  check('candidate-healthy', ...healthVerdict(candidate, cand, 'a target group with no healthy target fails open on an ALB; wait for the instances to pass health checks', zero));
  check('live-healthy', ...healthVerdict(stable, live, 'the live colour is where a rollback sends traffic, so it must be healthy first', zero));
  check('candidate-alarms', ...alarmVerdict(candidate, cand));
  check('live-alarms', ...alarmVerdict(stable, live));
  return { checks, ok: checks.every((c) => c.ok), stable, candidate, expectedHealthy: cand.capacity.desired };
}

/** How long a scale-down's record write keeps a release of that colour out (the capacity change follows at once). */
export const SCALE_DOWN_FENCE_MS = 60_000;

/** When `colour` is the idle colour a scale-down started on less than `SCALE_DOWN_FENCE_MS` ago: how long ago. */
function scalingDown(record: ReleaseState | undefined, colour: ColourName, now: number): string | undefined {
  if (!record || record.status === 'in-progress' || record.scaledDownAt === undefined) return undefined;
  const idle = record.status === 'succeeded' ? record.stable : record.candidate;
  const age = now - record.scaledDownAt;
  return idle === colour && age < SCALE_DOWN_FENCE_MS ? `started ${formatDuration(Math.max(0, age))} ago` : undefined;
}

function healthVerdict(colour: ColourName, obs: ColourObservation, why: string, zeroCapacity = false): [boolean, string] {
  const expected = zeroCapacity ? 0 : Math.max(obs.capacity.desired, 1);
  const counts = `${colour} has ${obs.health.healthy}/${obs.health.total} healthy targets, ${expected} expected`;
  return obs.health.healthy >= expected ? [true, counts] : [false, `${counts}: ${why}`];
}

function alarmVerdict(colour: ColourName, obs: ColourObservation): [boolean, string] {
  return obs.firing.length === 0
    ? [true, `no gate alarm firing on ${colour}`]
    : [false, `alarms firing on ${colour}: ${obs.firing.join(', ')}; wait until they are OK`];
}

function unsettledDetail(obs: ServiceObservation, inProgress: boolean): string {
  const weights = formatWeights(obs.weights);
  if (inProgress) return `weights are ${weights}, held by the release in progress`;
  if (obs.weights.blue === 0 && obs.weights.green === 0) {
    return `no colour holds traffic (${weights}): run promote with a colour to send all traffic to it`;
  }
  const back = obs.stored ? `rollback to return all traffic to ${obs.stored.state.stable}` : 'promote with a colour to send all traffic to it';
  return `weights are split (${weights}) and no release is in progress: run ${back}, or promote with a colour to finish`;
}

/**
 * The pre-flight check `candidate-image`: whether the candidate runs the image the release manifest stages for it
 * (`images.verify`). Without a manifest (`staged` undefined) there is nothing to compare, and no check. A check that
 * cannot be made (no port, AWS error) fails: releasing an unknown image is what it exists to prevent. With
 * `allowUndeployedImage` a failed comparison passes, with `overridden` set.
 */
export async function checkStagedImage(
  images: DeployedImages | undefined,
  staged: StagedImages | undefined,
  candidate: ColourName,
  allowUndeployedImage: boolean,
): Promise<(PreflightCheck & { readonly overridden?: boolean }) | undefined> {
  const entry = staged?.[candidate];
  if (entry === undefined) return undefined;
  let verdict: StagedImageVerdict;
  if (!images) {
    verdict = { deployed: false, detail: `cannot check that ${candidate} runs ${entry}, which the release manifest stages for it: the engine was given staged images but no images port; give it one (lib/aws createAwsPorts does)` };
  } else {
    try {
      verdict = await images.verify(candidate, entry);
    } catch (e) {
      verdict = {
        deployed: false,
        detail: `could not check that ${candidate} runs ${entry}, which the release manifest stages for it (${(e as Error).message}); retry when AWS answers`,
      };
    }
  }
  if (verdict.deployed) return { name: 'candidate-image', ok: true, detail: verdict.detail };
  if (allowUndeployedImage) return { name: 'candidate-image', ok: true, detail: `${verdict.detail} (allowed by allowUndeployedImage)`, overridden: true };
  return { name: 'candidate-image', ok: false, detail: verdict.detail };
}

/** `pre` with one more check. */
export function withCheck(pre: PreflightResult, check: PreflightCheck | undefined): PreflightResult {
  if (!check) return pre;
  const checks = [...pre.checks, { name: check.name, ok: check.ok, detail: check.detail }];
  return { ...pre, checks, ok: checks.every((c) => c.ok) };
}
