/**
 * What the auto-rollback does about one alarm event: a pure function of the event, what was read from the service
 * and its descriptor, so every case is unit-tested without AWS. Imported by the Lambda handler: no CDK imports.
 */
import { ServiceDescriptor } from '../../contract';
import { COLOUR_NAMES, ColourName, ReleaseState, Weights } from '../../release';
import { weightOf } from '../../release';

/** Longest alarm reason copied into the release record; composite alarm reasons can run long. */
export const MAX_REASON_CHARS = 300;

/** One state of an alarm, as in the event. */
export interface AlarmStateDetail {
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly value?: string;
  /** Why the alarm is in this state, in words. */
  readonly reason?: string;
  /** ISO time of the change. */
  readonly timestamp?: string;
}

/**
 * The EventBridge event CloudWatch sends when an alarm (metric or composite) changes state; only the fields read
 * here. Every field is optional because the function must not crash on an event it did not expect.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export interface AlarmStateChangeEvent {
  /** `aws.cloudwatch`. */
  readonly source?: string;
  /** `CloudWatch Alarm State Change`. */
  readonly 'detail-type'?: string;
  /** ISO time of the event. */
  readonly time?: string;
  /** The alarm's ARN. */
  readonly resources?: readonly string[];
  readonly detail?: {
    readonly alarmName?: string;
    readonly state?: AlarmStateDetail;
    readonly previousState?: AlarmStateDetail;
  };
}

/** What was read from the service when the event was handled. */
export interface AutoRollbackObservation {
  /** When, epoch ms. */
  readonly at: number;
  /** Production weights. */
  readonly weights: Weights;
  /** The release record, if the service ever had a release. */
  readonly release?: ReleaseState;
  /**
   * The alarm's state now, read again: an event handled late (retried, throttled) may be about an alarm that has
   * recovered since.
   *
   * @default - unknown: the event is trusted
   */
  readonly alarmStateNow?: string;
  /**
   * The old colour of a promoted release, read when its new colour's gate fires: whether it is still warm decides
   * the rollback, not `scaleDownAt` (the scale-down may be late, or may not have run at all).
   *
   * @default - unknown: warm until the release record says it was scaled down, as the engine's rollback judges it
   */
  readonly previousColour?: ColourWarmth;
}

/** How warm a colour is: whether it could take all traffic back now. */
export interface ColourWarmth {
  /** Desired capacity of its Auto Scaling group (0 in standby, or on its way there). */
  readonly desired: number;
  /** Healthy targets. */
  readonly healthy: number;
  /** Registered targets. */
  readonly total: number;
}

/** Settings of the auto-rollback. */
export interface AutoRollbackSettings {
  /** Whether a promoted release is rolled back while its old colour is still warm (not yet scaled down). */
  readonly rollbackAfterPromotion: boolean;
}

/** Why the auto-rollback acted or did not; stable ids for logs and tests. */
export type AutoRollbackCode =
  /** The candidate of the release in progress fired its gate: roll back. */
  | 'candidate-gate'
  /** The colour promoted by the last release fired its gate while the old colour is still warm: roll back. */
  | 'promoted-gate'
  /** A rolled-back release's candidate fired while it still takes traffic (an interrupted rollback): roll back again. */
  | 'unfinished-rollback'
  | 'not-alarm-event'
  | 'not-in-alarm'
  | 'unknown-alarm'
  | 'alarm-recovered'
  | 'no-release'
  | 'event-before-release'
  | 'stable-colour'
  | 'idle-colour'
  | 'after-promotion-disabled'
  | 'old-colour-not-warm'
  | 'already-rolled-back'
  | 'live-colour';

/** The verdict. */
export interface AutoRollbackDecision {
  /** Roll back, or do nothing. */
  readonly action: 'rollback' | 'none';
  /** Why. */
  readonly code: AutoRollbackCode;
  /** One line for the log. */
  readonly message: string;
  /** The alarm, when the event named one. */
  readonly alarmName?: string;
  /** The colour the alarm gates, when it is one of the service's gates. */
  readonly colour?: ColourName;
  /** The release concerned, when there is one. */
  readonly releaseId?: string;
  /** Reason to record in the release record, for a rollback. */
  readonly reason?: string;
}

/** The gate alarm an event is about, once the event is known to concern this service. */
export interface GateAlarm {
  readonly alarmName: string;
  readonly colour: ColourName;
}

const SOURCE = 'aws.cloudwatch';
const DETAIL_TYPE = 'CloudWatch Alarm State Change';

/**
 * Whether the event is a gate alarm of this service entering ALARM; no reads needed, so the handler calls it first
 * and stops early.
 *
 * @returns the gate alarm, or a decision to do nothing
 */
export function classifyAlarmEvent(event: AlarmStateChangeEvent, descriptor: ServiceDescriptor): GateAlarm | AutoRollbackDecision {
  const alarmName = event.detail?.alarmName;
  if (event.source !== SOURCE || event['detail-type'] !== DETAIL_TYPE || !alarmName) {
    return none('not-alarm-event', `Not a CloudWatch alarm state change (source ${event.source}, detail-type ${event['detail-type']}): ignored.`);
  }
  const state = event.detail?.state?.value;
  if (state !== 'ALARM') {
    return none('not-in-alarm', `${alarmName} changed to ${state}, not ALARM: nothing to do.`, { alarmName });
  }
  const colour = COLOUR_NAMES.find((c) => descriptor.colours[c].alarms.gate === alarmName);
  if (!colour) {
    return none('unknown-alarm', `${alarmName} is not a gate alarm of ${descriptor.service} (the descriptor names ${gateNames(descriptor)}): nothing to do.`, { alarmName });
  }
  return { alarmName, colour };
}

/**
 * Decide what to do about an alarm event.
 *
 * Rolls back when the gate of the colour a release put traffic on fires: the candidate of a release in progress
 * (whoever drives it, and whether or not its pipeline is still alive); with `rollbackAfterPromotion`, the colour
 * the last release promoted while the old colour is still warm (not scaled down, healthy); and a rolled-back
 * release's candidate that takes traffic again after an interrupted rollback. Anything else is left alone with a
 * reason: a firing idle colour harms no one, and a firing live colour with nothing warm behind it needs a human.
 */
export function decideAutoRollback(
  event: AlarmStateChangeEvent,
  observed: AutoRollbackObservation,
  descriptor: ServiceDescriptor,
  settings: AutoRollbackSettings,
): AutoRollbackDecision {
  const gate = classifyAlarmEvent(event, descriptor);
  if ('action' in gate) return gate;
  const { alarmName, colour } = gate;
  const about = { alarmName, colour };
  if (observed.alarmStateNow !== undefined && observed.alarmStateNow !== 'ALARM') {
    return none('alarm-recovered', `${alarmName} (${colour}) is ${observed.alarmStateNow} again: the event is stale, nothing to do.`, about);
  }
  const release = observed.release;
  if (!release) {
    return none('no-release', `${alarmName} fired on ${colour} (${trafficOf(observed.weights, colour)}), but ${descriptor.service} has no release recorded: nothing to roll back.`, about);
  }
  const ctx = { ...about, releaseId: release.releaseId };
  // An old event is stale only if the alarm may have recovered since: one still in ALARM now (it can flip between
  // pre-flight and the release's claim) concerns this release too.
  const eventAt = Date.parse(event.time ?? '');
  if (Number.isFinite(eventAt) && eventAt < release.startedAt && observed.alarmStateNow !== 'ALARM') {
    return none(
      'event-before-release',
      `${alarmName} fired at ${event.time}, before release ${release.releaseId} started, and its state now is unknown: the event is stale, nothing to do.`,
      ctx,
    );
  }
  const reason = rollbackReason(alarmName, event);
  switch (release.status) {
    case 'in-progress':
      return decideInProgress(release, observed, reason, ctx);
    case 'succeeded':
      return decidePromoted(release, observed, settings, reason, ctx);
    default:
      return decideEnded(release, observed, reason, ctx);
  }
}

interface DecisionContext {
  readonly alarmName: string;
  readonly colour: ColourName;
  readonly releaseId: string;
}

function decideInProgress(release: ReleaseState, observed: AutoRollbackObservation, reason: string, ctx: DecisionContext): AutoRollbackDecision {
  if (ctx.colour === release.candidate) {
    return rollback('candidate-gate', `${ctx.alarmName} fired on ${ctx.colour}, the candidate of release ${release.releaseId} in progress: rolling back to ${release.stable}.`, reason, ctx);
  }
  return none(
    'stable-colour',
    `${ctx.alarmName} fired on ${ctx.colour} (${trafficOf(observed.weights, ctx.colour)}), the stable colour of release ${release.releaseId}, ` +
      'where a rollback would send all traffic: nothing to do.',
    ctx,
  );
}

function decidePromoted(
  release: ReleaseState,
  observed: AutoRollbackObservation,
  settings: AutoRollbackSettings,
  reason: string,
  ctx: DecisionContext,
): AutoRollbackDecision {
  if (ctx.colour !== release.candidate) {
    return none('idle-colour', `${ctx.alarmName} fired on ${ctx.colour} (${trafficOf(observed.weights, ctx.colour)}), the previous colour of promoted release ${release.releaseId}: nothing to do.`, ctx);
  }
  if (!settings.rollbackAfterPromotion) {
    return none('after-promotion-disabled', `${ctx.alarmName} fired on ${ctx.colour}, live since release ${release.releaseId} was promoted; rollback after promotion is off: nothing to do.`, ctx);
  }
  if (release.scaleDownAt === undefined) {
    return none(
      'old-colour-not-warm',
      `${ctx.alarmName} fired on the live colour ${ctx.colour}, but ${release.stable} has been scaled down: no warm colour to roll back to. Needs a human.`,
      ctx,
    );
  }
  // Warmth decides, not the clock: until the scale-down runs the old colour still serves, and the CLI's rollback
  // still allows it.
  const warmth = observed.previousColour;
  const schedule = `scale-down ${release.scaleDownAt <= observed.at ? 'was due' : 'is scheduled'} at ${new Date(release.scaleDownAt).toISOString()}`;
  if (warmth && (warmth.desired === 0 || warmth.healthy === 0)) {
    return none(
      'old-colour-not-warm',
      `${ctx.alarmName} fired on the live colour ${ctx.colour}, but ${release.stable} is not warm (${describeWarmth(warmth)}; ${schedule}): ` +
        'no warm colour to roll back to. Needs a human.',
      ctx,
    );
  }
  return rollback(
    'promoted-gate',
    `${ctx.alarmName} fired on ${ctx.colour}, promoted by release ${release.releaseId}; ${release.stable} is still warm ` +
      `(${warmth ? `${describeWarmth(warmth)}; ` : ''}${schedule}): rolling back.`,
    reason,
    ctx,
  );
}

function describeWarmth(w: ColourWarmth): string {
  return `desired ${w.desired}, ${w.healthy}/${w.total} healthy targets`;
}

function decideEnded(release: ReleaseState, observed: AutoRollbackObservation, reason: string, ctx: DecisionContext): AutoRollbackDecision {
  const traffic = trafficOf(observed.weights, ctx.colour);
  if (ctx.colour === release.candidate) {
    if (weightOf(observed.weights, ctx.colour) > 0) {
      return rollback(
        'unfinished-rollback',
        `${ctx.alarmName} fired on ${ctx.colour} (${traffic}), the candidate of release ${release.releaseId}, which is ${release.status}: setting the rollback's weights again.`,
        reason,
        ctx,
      );
    }
    return none('already-rolled-back', `${ctx.alarmName} fired on ${ctx.colour} (${traffic}), the candidate of release ${release.releaseId}, already ${release.status}: nothing to do.`, ctx);
  }
  if (weightOf(observed.weights, ctx.colour) === 0) {
    return none('idle-colour', `${ctx.alarmName} fired on the idle colour ${ctx.colour}: nothing to do.`, ctx);
  }
  return none('live-colour', `${ctx.alarmName} fired on the live colour ${ctx.colour} (${traffic}), and no release left a warm colour to roll back to: nothing to do. Needs a human.`, ctx);
}

/** What the release record keeps: which gate fired, and CloudWatch's words for why. */
export function rollbackReason(alarmName: string, event: AlarmStateChangeEvent): string {
  const why = event.detail?.state?.reason?.trim();
  const full = `gate alarm ${alarmName} fired${why ? `: ${why}` : ''}`;
  return full.length > MAX_REASON_CHARS ? `${full.slice(0, MAX_REASON_CHARS - 1)}…` : full;
}

function rollback(code: AutoRollbackCode, message: string, reason: string, ctx: DecisionContext): AutoRollbackDecision {
  return { action: 'rollback', code, message, reason, ...ctx };
}

function none(code: AutoRollbackCode, message: string, about: Partial<DecisionContext> = {}): AutoRollbackDecision {
  return { action: 'none', code, message, ...about };
}

function trafficOf(weights: Weights, colour: ColourName): string {
  return `weight ${weightOf(weights, colour)} of ${weights.blue + weights.green}`;
}

function gateNames(descriptor: ServiceDescriptor): string {
  const names = COLOUR_NAMES.map((c) => descriptor.colours[c].alarms.gate).filter((n): n is string => Boolean(n));
  return names.length ? names.join(' and ') : 'no gate alarms';
}
