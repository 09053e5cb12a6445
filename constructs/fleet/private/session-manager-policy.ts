import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SSM_AGENT_ACTIONS } from '../../private/ssm-agent-actions';

/**
 * The actions the SSM agent needs for Session Manager, instead of the broad AmazonSSMManagedInstanceCore
 * managed policy (which also grants reading every SSM parameter and document).
 *
 * See SSM_AGENT_ACTIONS for why they apply to `*`.
 */
export function sessionManagerPolicy(scope: Construct, id: string): iam.Policy {
  return new iam.Policy(scope, id, {
    statements: [
      new iam.PolicyStatement({
        sid: 'SessionManagerAgent',
        actions: [...SSM_AGENT_ACTIONS],
        resources: ['*'],
      }),
    ],
  });
}
