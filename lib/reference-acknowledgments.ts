import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { WebServiceStack } from './web-service-stack';

/**
 * Reasoned acknowledgments of the reference app's findings. None live in library code: each is a decision this
 * app makes. They are placed on the narrowest construct that carries the finding.
 */
export function acknowledgeReferenceFindings(web: WebServiceStack): void {
  const svc = web.service;
  ack(svc.loadBalancerSecurityGroup, 'AwsSolutions-EC23', 'The reference service is a public website: its load balancer accepts HTTP(S) from anywhere; instances admit only the load balancer.');
  ack(svc.accessLogsBucket, 'AwsSolutions-S1', 'This bucket holds the ALB access logs; logging access to a log bucket would need yet another log bucket.');
  ack(svc.node.findChild('SessionManagerPolicy'), 'AwsSolutions-IAM5[Resource::*]', 'Session Manager agent actions (ssm:UpdateInstanceInformation, ssmmessages:*, ec2messages:*) support no resource-level permissions.');
  ack(svc.releaseGuard, 'AwsSolutions-IAM5[Resource::*]', 'elasticloadbalancing:DescribeRules supports no resource-level permissions; the guard only reads.');
  ackWarning(svc.traffic, 'cdk-bluegreen:plainHttp', 'The reference app has no domain or certificate; pass certificates in a real deployment.');
}

function ack(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id, reason });
}

function ackWarning(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id: `Annotation::${id}`, reason });
}
