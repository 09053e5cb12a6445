import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { BakedImage } from '../constructs';
import { WebServiceStack } from './web-service-stack';

/**
 * Reasoned acknowledgments of the reference app's findings. None live in library code: each is a decision this
 * app makes. They are placed on the narrowest construct that carries the finding.
 */
export function acknowledgeReferenceFindings(web: WebServiceStack): void {
  const svc = web.service;
  ack(svc.loadBalancerSecurityGroup, 'AwsSolutions-EC23', 'The reference service is a public website: its load balancer accepts HTTP(S) from anywhere; instances admit only the load balancer.');
  ack(svc.accessLogsBucket, 'AwsSolutions-S1', 'This bucket holds the ALB access logs; logging access to a log bucket would need yet another log bucket.');
  ack(svc.sessionManagerPolicy, 'AwsSolutions-IAM5[Resource::*]', 'Session Manager agent actions (ssm:UpdateInstanceInformation, ssmmessages:*, ec2messages:*) support no resource-level permissions.');
  ack(svc.releaseGuard, 'AwsSolutions-IAM5[Resource::*]', 'elasticloadbalancing:DescribeRules supports no resource-level permissions; the guard only reads.');
  ack(web.autoRollback.role, 'AwsSolutions-IAM5[Resource::*]', 'elasticloadbalancing:DescribeRules and DescribeTargetHealth and autoscaling:DescribeAutoScalingGroups support no resource-level permissions, and cloudwatch:DescribeAlarms returns composite alarms only when allowed on *; all four only read. Its writes (ModifyRule, PutItem, UpdateAutoScalingGroup) are scoped to the two rules, the table and the two groups.');
  for (const fleet of [svc.blue, svc.green]) {
    const asgId = Stack.of(fleet).getLogicalId(fleet.autoScalingGroup.node.defaultChild as CfnResource);
    ack(
      web.autoRollback.role,
      iam5(`arn:<AWS::Partition>:autoscaling:${Stack.of(fleet).region}:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${asgId}>`),
      'The group id inside an Auto Scaling group ARN is unknown before deploy; the name pins the group, and a condition (MinSize 0, MaxSize 0) limits the reconciler to putting it in standby.',
    );
  }
  ack(web.featureFlags.monitorRole, iam5('*'), 'AppConfig reads the feature-flag monitor (a composite alarm) with cloudwatch:DescribeAlarms, which returns composite alarms only when allowed on *; the role is assumable only by appconfig.amazonaws.com and only reads.');
  ackWarning(svc, 'cdk-bluegreen:plainHttp', 'The reference app has no domain or certificate; pass certificates in a real deployment.');
  if (svc.quarantine) acknowledgeQuarantineFindings(web);
  if (web.bakesImage) acknowledgeImageFindings(web.webImage);
  if (web.failover?.watcherFunction) acknowledgeWatcherFindings(web);
}

/** Findings of the standby's failover watcher: describe calls without resource-level permissions, and its groups. */
function acknowledgeWatcherFindings(web: WebServiceStack): void {
  const svc = web.service;
  const role = web.failover!.node.findChild('Watcher').node.findChild('Role');
  ack(role, iam5('*'), 'autoscaling:DescribeAutoScalingGroups, elasticloadbalancing:DescribeTargetHealth and DescribeRules support no resource-level permissions and only read; cloudwatch:PutMetricData has no resources and is held by condition to the cdk-bluegreen/DR namespace (the drill switch).');
  for (const fleet of [svc.blue, svc.green]) {
    const asgId = Stack.of(fleet).getLogicalId(fleet.autoScalingGroup.node.defaultChild as CfnResource);
    ack(role, iam5(`arn:<AWS::Partition>:autoscaling:${Stack.of(fleet).region}:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${asgId}>`), 'The group id inside an Auto Scaling group ARN is unknown before deploy; the name pins the group. The watcher scales the standby up on failover.');
  }
}

/** Findings of the quarantine function's role: calls without resource-level permissions, and ids unknown before deploy. */
function acknowledgeQuarantineFindings(web: WebServiceStack): void {
  const svc = web.service;
  const role = svc.quarantine!.role;
  const stack = Stack.of(svc);
  ack(role, iam5('*'), 'autoscaling:DescribeAutoScalingGroups and DescribeScalingActivities, ec2:DescribeInstances and elasticloadbalancing:DescribeTargetHealth support no resource-level permissions and only read; cloudwatch:PutMetricData has no resources and is held by condition to the cdk-bluegreen namespace (the flapping gauge).');
  for (const fleet of [svc.blue, svc.green]) {
    const asgId = stack.getLogicalId(fleet.autoScalingGroup.node.defaultChild as CfnResource);
    ack(role, iam5(`arn:<AWS::Partition>:autoscaling:${stack.region}:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${asgId}>`), 'The group id inside an Auto Scaling group ARN is unknown before deploy; the name pins the group. The quarantine completes its lifecycle actions and terminates its kept instances.');
  }
  ack(role, iam5(`arn:<AWS::Partition>:ec2:${stack.region}:<AWS::AccountId>:instance/*`), 'Instance ids are unknown before launch; every statement on instances is held by condition to instances tagged bluegreen:service=web (what both colours\' groups tag at launch), and tagging to the quarantine tag keys.');
  const bucketId = stack.getLogicalId(svc.accessLogsBucket.node.defaultChild as s3.CfnBucket);
  ack(role, iam5(`<${bucketId}.Arn>/quarantine/web/*`), 'Evidence objects are named per kept instance under this prefix of the service\'s log bucket; write-only (s3:PutObject).');
}

/** Findings of the baked web image: its build instances and its lifecycle policy. */
function acknowledgeImageFindings(image: BakedImage): void {
  const stack = Stack.of(image);
  ack(image.logBucket, 'AwsSolutions-S1', 'This bucket holds Image Builder build logs; logging access to a log bucket would need yet another log bucket.');

  const instance = image.instancePolicy;
  ack(instance, iam5('*'), 'The SSM agent on the build instance (ssm:UpdateInstanceInformation, ssmmessages:*, ec2messages:*, and the inventory association for image metadata) acts on its own instance, unknown before launch; ssmmessages and ec2messages support no resource-level permissions.');
  ack(instance, iam5('arn:<AWS::Partition>:s3:::ec2imagebuilder*'), 'Image Builder downloads its bootstrap script and AWSTOE from AWS-owned buckets named ec2imagebuilder*; read-only.');
  const bucketId = stack.getLogicalId(image.logBucket.node.defaultChild as s3.CfnBucket);
  ack(instance, iam5(`<${bucketId}.Arn>/image-builder/*`), 'Image Builder names log objects per build under this prefix of the image\'s own log bucket; write-only.');

  const lifecycle = image.lifecycleRolePolicy;
  ack(lifecycle, iam5('*'), 'ec2:DescribeImages and tag:GetResources, which find the image\'s AMIs by tag, support no resource-level permissions; both only read.');
  for (const region of image.regions) {
    ack(lifecycle, iam5(`arn:<AWS::Partition>:ec2:${region}::image/*`), 'AMI ids are unknown until baked; the statement is limited by condition to AMIs tagged CreatedBy=EC2 Image Builder and bluegreen:image=<this image>.');
    ack(lifecycle, iam5(`arn:<AWS::Partition>:ec2:${region}::snapshot/*`), 'Snapshot ids are unknown until baked; the statement is limited by condition to snapshots created by Image Builder.');
  }
  ack(lifecycle, iam5(`arn:<AWS::Partition>:imagebuilder:${stack.region}:<AWS::AccountId>:image/${image.resourceName}/*`), 'Limited to the versions and builds of this one image, which are unknown until baked.');
}

function ack(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The id of cdk-nag's wildcard finding for one resource pattern, as cdk-nag writes it. */
function iam5(resource: string): string {
  return `AwsSolutions-IAM5[Resource::${resource}]`;
}

function ackWarning(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id: `Annotation::${id}`, reason });
}
