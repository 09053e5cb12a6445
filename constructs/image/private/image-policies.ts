import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SSM_AGENT_ACTIONS } from '../../private/ssm-agent-actions';

/** Tag Image Builder puts on every AMI and snapshot it creates. */
const CREATED_BY = { 'aws:ResourceTag/CreatedBy': 'EC2 Image Builder' };

/** Actions the SSM agent calls for Image Builder's Run Command on the build instance. */
export const AGENT_ACTIONS = [...SSM_AGENT_ACTIONS];

/**
 * Actions of the inventory association Image Builder runs for enhanced image metadata (OS version and package list).
 */
export const INVENTORY_ACTIONS = [
  'ssm:DescribeAssociation',
  'ssm:GetDocument',
  'ssm:ListInstanceAssociations',
  'ssm:PutComplianceItems',
  'ssm:PutInventory',
  'ssm:UpdateInstanceAssociationStatus',
];

/** Read-only discovery the lifecycle policy needs to find images by tag; neither action has resource-level permissions. */
export const LIFECYCLE_DISCOVERY_ACTIONS = ['ec2:DescribeImages', 'tag:GetResources'];

/** What the build instance needs, instead of the EC2InstanceProfileForImageBuilder and AmazonSSMManagedInstanceCore managed policies. */
export interface BuildInstancePolicyOptions {
  /** ARNs of the components the instance downloads. */
  readonly componentArns: string[];
  /** Objects the instance may write build logs to. */
  readonly logObjectsArn: string;
  /** The CloudWatch log group of the bake. */
  readonly logGroupName: string;
  /** ARN of the log group (`...:log-group:<name>:*`). */
  readonly logGroupArn: string;
}

/** Least-privilege policy of the build and test instances. */
export function buildInstancePolicy(scope: Construct, id: string, options: BuildInstancePolicyOptions): iam.Policy {
  const stack = Stack.of(scope);
  return new iam.Policy(scope, id, {
    statements: [
      new iam.PolicyStatement({ sid: 'Components', actions: ['imagebuilder:GetComponent'], resources: options.componentArns }),
      // The bootstrap script and AWSTOE are downloaded from AWS-owned buckets whose names start with ec2imagebuilder
      // (one per Region and stage, not documented individually).
      new iam.PolicyStatement({ sid: 'Toe', actions: ['s3:GetObject'], resources: [`arn:${stack.partition}:s3:::ec2imagebuilder*`] }),
      new iam.PolicyStatement({ sid: 'BuildLogObjects', actions: ['s3:PutObject'], resources: [options.logObjectsArn] }),
      new iam.PolicyStatement({
        sid: 'BuildLogGroup',
        actions: ['logs:CreateLogGroup'],
        resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: options.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
      new iam.PolicyStatement({ sid: 'BuildLogStreams', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [options.logGroupArn] }),
      // Resource '*': these agent actions act on the calling instance, whose id is unknown before Image Builder launches
      // it, and ssmmessages/ec2messages support no resource-level permissions at all.
      new iam.PolicyStatement({ sid: 'SsmAgent', actions: AGENT_ACTIONS, resources: ['*'] }),
      // Resource '*': the inventory association (enhanced image metadata) is created by Image Builder per build; its id
      // and the instance id are unknown at synth.
      new iam.PolicyStatement({ sid: 'SsmInventory', actions: INVENTORY_ACTIONS, resources: ['*'] }),
    ],
  });
}

/** Options of the lifecycle execution role. */
export interface LifecycleRoleOptions {
  /** Value of the `bluegreen:image` tag on the image's AMIs and Image Builder images. */
  readonly imageTag: string;
  /** Name of the Image Builder image (the recipe name). */
  readonly imageResourceName: string;
  /** Regions holding copies of the AMIs. */
  readonly regions: string[];
}

/**
 * Role the lifecycle policy runs as: deregisters this image's AMIs, deletes their snapshots and Image Builder images.
 * A customer-managed equivalent of EC2ImageBuilderLifecycleExecutionPolicy narrowed to this image.
 */
export function lifecycleRole(scope: Construct, id: string, options: LifecycleRoleOptions): { role: iam.Role; policy: iam.Policy } {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    description: `Image Builder lifecycle policy of ${options.imageResourceName}: deletes images beyond the retained ones`,
  });
  const ec2Arn = (region: string, type: string) => Arn.format({ service: 'ec2', region, account: '', resource: type, resourceName: '*' }, stack);
  const policy = new iam.Policy(scope, `${id}Policy`, {
    statements: [
      new iam.PolicyStatement({
        sid: 'Amis',
        actions: ['ec2:DeregisterImage', 'ec2:DescribeImageAttribute'],
        resources: options.regions.map((r) => ec2Arn(r, 'image')),
        conditions: { StringEquals: { ...CREATED_BY, 'aws:ResourceTag/bluegreen:image': options.imageTag } },
      }),
      new iam.PolicyStatement({
        sid: 'Snapshots',
        actions: ['ec2:DeleteSnapshot'],
        resources: options.regions.map((r) => ec2Arn(r, 'snapshot')),
        conditions: { StringEquals: CREATED_BY },
      }),
      new iam.PolicyStatement({
        sid: 'ImageBuilderImages',
        actions: ['imagebuilder:DeleteImage'],
        resources: [stack.formatArn({ service: 'imagebuilder', resource: 'image', resourceName: `${options.imageResourceName}/*` })],
      }),
      // Resource '*': DescribeImages and tag:GetResources support no resource-level permissions.
      new iam.PolicyStatement({ sid: 'Discovery', actions: LIFECYCLE_DISCOVERY_ACTIONS, resources: ['*'] }),
    ],
  });
  role.attachInlinePolicy(policy);
  return { role, policy };
}
