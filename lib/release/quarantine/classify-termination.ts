/**
 * Classify why a group terminates an instance, from the Cause text of its scaling activity. Only a health check's
 * verdict (ELB, EC2 status, or a custom SetInstanceHealth) makes an instance worth keeping; everything else, and any
 * text this code does not recognise, continues: default-deny, so an AWS wording change never keeps instances.
 */

/** Which health check condemned the instance. */
export type HealthCheckKind = 'elb' | 'ec2' | 'custom';

/** What the cause says. */
export type TerminationClass =
  | { readonly healthDriven: true; readonly check: HealthCheckKind; readonly cause: string }
  | { readonly healthDriven: false; readonly reason: string; readonly cause?: string };

interface Rule {
  readonly pattern: RegExp;
  readonly reason: string;
}

/**
 * Causes that are not worth keeping, checked before the health checks so that a text matching both continues.
 * The EC2 "terminated or stopped" check is a health check, but the instance is already gone or stopped: there is
 * nothing running to investigate, and a stopped instance cannot be isolated the same way.
 */
const OTHER: readonly Rule[] = [
  { pattern: /EC2 health check indicating it has been terminated or stopped/i, reason: 'the instance was stopped or terminated outside the group: nothing running to keep' },
  { pattern: /difference between desired and actual capacity/i, reason: 'scale-in (desired capacity lowered)' },
  { pattern: /user request update of AutoScalingGroup constraints/i, reason: 'the group\'s size was changed (e.g. a colour going to standby)' },
  { pattern: /instance refresh/i, reason: 'instance refresh' },
  { pattern: /maximum instance lifetime/i, reason: 'maximum instance lifetime' },
  { pattern: /rebalanc/i, reason: 'Availability Zone rebalancing' },
  // Also CloudFormation's rolling update of a launch-template change (AutoScalingRollingUpdate), whose terminations
  // read "... taken out of service in response to a user request[, shrinking the capacity from 3 to 2]."
  { pattern: /in response to a user request/i, reason: 'a user request (terminate or detach, or a CloudFormation rolling update)' },
];

const HEALTH: ReadonlyArray<{ readonly pattern: RegExp; readonly check: HealthCheckKind }> = [
  { pattern: /ELB (system )?health check failure/i, check: 'elb' },
  // AWS writes both "status check failure" and "status checks failure".
  { pattern: /EC2 instance status checks? failure/i, check: 'ec2' },
  { pattern: /user health-?check/i, check: 'custom' },
];

/** Classify a scaling activity's Cause (undefined: the group gave none). */
export function classifyTermination(cause: string | undefined): TerminationClass {
  const text = cause?.trim();
  if (!text) return { healthDriven: false, reason: 'the group gave no cause for the termination' };
  const other = OTHER.find((r) => r.pattern.test(text));
  if (other) return { healthDriven: false, reason: other.reason, cause: text };
  const health = HEALTH.find((r) => r.pattern.test(text));
  if (health) return { healthDriven: true, check: health.check, cause: text };
  return { healthDriven: false, reason: 'the cause is not a health check this code recognises', cause: text };
}
