import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The actions the SSM agent needs for Session Manager, instead of the broad AmazonSSMManagedInstanceCore
 * managed policy (which also grants reading every SSM parameter and document).
 *
 * These actions support no resource-level permissions, so they apply to `*`.
 */
export function sessionManagerPolicy(scope: Construct, id: string): iam.Policy {
  return new iam.Policy(scope, id, {
    statements: [
      new iam.PolicyStatement({
        sid: 'SessionManagerAgent',
        actions: [
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
        ],
        resources: ['*'],
      }),
    ],
  });
}
