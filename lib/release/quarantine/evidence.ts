/**
 * The evidence of a kept instance: one JSON object in the service's log bucket, written before the hook is
 * abandoned, so that it survives the instance whatever happens next.
 */
import { ColourName } from '../../contract';
import type { TargetHealthFacts, TerminationActivity } from './ports';

/** Where an instance's evidence goes under the service's evidence prefix (which ends in `/`). */
export function evidenceKey(evidencePrefix: string, instanceId: string): string {
  return `${evidencePrefix}${instanceId}/evidence.json`;
}

/** What is captured. */
export interface QuarantineEvidence {
  readonly service: string;
  readonly instanceId: string;
  readonly colour: ColourName;
  readonly autoScalingGroupName: string;
  readonly lifecycleActionToken: string;
  readonly capturedAt: string;
  /** The group's scaling-activity cause. */
  readonly cause: string;
  /** Which health check it was (elb, ec2, custom). */
  readonly check: string;
  /** The group's scaling activity terminating the instance: cause, status, start time and details. */
  readonly activity: TerminationActivity;
  /**
   * What DescribeTargetHealth said of the target when the hook fired (absent: not registered). Usually draining or
   * unused by then, since the group deregisters before the hook; kept as it was.
   */
  readonly targetHealthAtHook?: TargetHealthFacts;
  readonly imageId?: string;
  readonly instanceState: string;
  readonly originalSecurityGroups: readonly string[];
  /** The console output, when EC2 had any. */
  readonly consoleOutput?: string;
}

/** The stored body: pretty-printed, since people read it. */
export function evidenceBody(evidence: QuarantineEvidence): string {
  return JSON.stringify(evidence, null, 2);
}
