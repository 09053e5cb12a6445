/**
 * Lambda behind a service's quarantine: termination lifecycle actions of both colours' groups (EventBridge
 * "EC2 Instance-terminate Lifecycle Action") and the scheduled sweep. Placeholder until the handler lands.
 */
export async function handler(): Promise<void> {
  throw new Error('cdk-bluegreen quarantine handler: not implemented yet');
}
