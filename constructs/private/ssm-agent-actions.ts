/**
 * Actions the SSM agent calls for Session Manager and Run Command: registering the instance and opening its
 * message channels. They act on the calling instance itself (unknown before launch) or support no resource-level
 * permissions, so policies grant them on `*`.
 */
export const SSM_AGENT_ACTIONS: readonly string[] = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];
