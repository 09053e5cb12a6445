/**
 * The texts of the quarantine's notifications on the service's topic. SNS subjects are ASCII and under 100
 * characters, so details go in the message.
 */
import { QuarantineEntry } from '../../contract';

/** A notification. */
export interface QuarantineNotice {
  readonly subject: string;
  readonly message: string;
}

/** The commands an operator needs for a kept instance; `region` (the service's) goes on the Session Manager one. */
export function operatorCommands(service: string, instanceId: string, region?: string): string[] {
  return [
    `aws ssm start-session --target ${instanceId}${region ? ` --region ${region}` : ''}`,
    `bluegreen quarantine extend ${service} ${instanceId} --for 24h`,
    `bluegreen quarantine terminate ${service} ${instanceId}`,
  ];
}

/** An instance was kept (`region`: the service's, for the Session Manager command). */
export function keptNotice(service: string, entry: QuarantineEntry, region?: string): QuarantineNotice {
  return {
    subject: short(`bluegreen ${service}: ${entry.instanceId} (${entry.colour}) kept in quarantine`),
    message: [
      `${entry.instanceId} of ${service} (${entry.colour}, group ${entry.autoScalingGroupName}) failed its health check and is kept in quarantine until ${entry.expiresAt}; a replacement was launched.`,
      `Reasons: ${entry.reasons.join('; ')}`,
      ...(entry.imageId ? [`Image: ${entry.imageId}`] : []),
      ...(entry.evidence ? [`Evidence: ${entry.evidence}`] : []),
      ...(entry.snapshots?.length ? [`Snapshots: ${entry.snapshots.join(' ')}`] : []),
      ...operatorCommands(service, entry.instanceId, region),
    ].join('\n'),
  };
}

/** Isolating failed: the instance terminates as usual. */
export function failedOpenNotice(service: string, entry: QuarantineEntry, error: string): QuarantineNotice {
  return {
    subject: short(`bluegreen ${service}: could not quarantine ${entry.instanceId} (${entry.colour})`),
    message: `${entry.instanceId} of ${service} (${entry.colour}) failed its health check but could not be kept: ${error}. Its termination went on (fail open). Reasons: ${entry.reasons.join('; ')}`,
  };
}

/** The lifecycle action ended before it was abandoned (timed out): the group terminated the instance. */
export function actionEndedNotice(service: string, entry: QuarantineEntry): QuarantineNotice {
  return {
    subject: short(`bluegreen ${service}: ${entry.instanceId} (${entry.colour}) not kept, hook timed out`),
    message: `${entry.instanceId} of ${service} (${entry.colour}) was isolated, but its lifecycle action had already ended when it was to be abandoned, so the group terminated it. Evidence, if captured: ${entry.evidence ?? 'none'}.`,
  };
}

function short(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length < 100 ? ascii : `${ascii.slice(0, 96)}...`;
}
