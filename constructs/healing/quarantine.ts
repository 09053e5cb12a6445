import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BlueGreenService } from '../fleet/blue-green-service';
import type { ColourFleet } from '../fleet/colour-fleet';
import { bundledHandlerCode } from '../private/bundled-handler';
import { propError } from '../private/validate';
import { QuarantineSettings } from './healing';
import { HEALING_METRIC, QUARANTINE_ENV, QUARANTINE_HOOK_NAME, QUARANTINE_SWEEP_SOURCE, QUARANTINE_TAG_KEYS } from '../../lib/contract';

/** Properties of a service's quarantine. */
export interface QuarantineProps {
  /** The service whose colours it watches; its `healing` must be `Healing.quarantine()`. */
  readonly service: BlueGreenService;
}

/**
 * The quarantine of a blue/green service: the function that decides, for each health-driven termination of a
 * colour's instance, whether to keep it (isolated, tagged, evidence captured) or let it terminate, and that
 * terminates kept instances when their retention is over.
 *
 * `BlueGreenService` creates it when its `healing` is `Healing.quarantine()` (as `service.quarantine`), together
 * with the termination lifecycle hook and instance lifecycle policy on both colours' groups; it is not usually
 * created directly.
 *
 * The function runs on the groups' "EC2 Instance-terminate Lifecycle Action" events (EventBridge, `rule`) and on a
 * sweep every minute (`sweepRule`) that enforces retention, clears stale claims and publishes each colour's recent
 * replacements for the flapping alarm. It fails open: on any error the hook continues and the instance terminates.
 */
export class Quarantine extends Construct implements iam.IGrantable {
  /** Security group of kept instances: no inbound, HTTPS outbound only (Session Manager, VPC endpoints). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The function that quarantines, sweeps and publishes the flapping gauge. */
  public readonly function: lambda.IFunction;
  /** Role of the function. */
  public readonly role: iam.Role;
  /** Log group of the function: one JSON line per decision. */
  public readonly logGroup: logs.LogGroup;
  /** The rule matching termination lifecycle actions of the two colours' groups at the quarantine hook. */
  public readonly rule: events.Rule;
  /** The schedule running the sweep every minute. */
  public readonly sweepRule: events.Rule;
  /** Events neither EventBridge nor the function could handle. */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * In ALARM while `deadLetterQueue` holds events: a termination waited for its hook to time out (and terminated),
   * or a sweep did not run. Notifies the service's topic.
   */
  public readonly failureAlarm: cloudwatch.Alarm;
  /** The function's role. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The settings deployed. */
  public readonly settings: QuarantineSettings;
  /** Key prefix of the evidence in the service's access-logs bucket: `quarantine/<service>/`. */
  public readonly evidencePrefix: string;

  constructor(scope: Construct, id: string, props: QuarantineProps) {
    super(scope, id);
    const { service } = props;
    const settings = service.healing.quarantineSettings;
    if (!settings) {
      throw propError('service', service.node.path, `must quarantine: set healing: Healing.quarantine() on service '${service.serviceName}'.`);
    }
    this.settings = settings;
    this.evidencePrefix = `quarantine/${service.serviceName}/`;
    const fleets = [service.blue, service.green];

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: service.vpc,
      description: `${service.serviceName} quarantined instances: no inbound; HTTPS out only, for Session Manager and VPC endpoints`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Session Manager (and VPC endpoints)');
    // Kept instances end up in this group only, and a security group in use cannot be deleted. CloudFormation
    // deletes dependents first: with the groups depending on it, stack deletion removes each Auto Scaling group
    // (force-deleted with every instance associated with it, Retained ones included) before this security group.
    for (const fleet of fleets) fleet.autoScalingGroup.node.defaultChild?.node.addDependency(this.securityGroup);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Quarantine of ${service.serviceName}: keeps or lets go sick instances of its two groups, captures evidence, enforces retention`,
    });
    this.grantPrincipal = this.role;
    this.logGroup.grantWrite(this.role);
    grantQuarantine(this.role, service, this.securityGroup, this.evidencePrefix, settings);

    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandlerCode('quarantine'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // Isolating and capturing evidence take seconds; the hook waits 5 minutes for an answer, then continues.
      timeout: Duration.minutes(1),
      memorySize: 256,
      // No retries of a failed invocation: the lifecycle handler never throws (a crash leaves the hook to continue at
      // its timeout, and a retry would only find its own claim), and the sweep runs again within a minute. Failures
      // go to the dead-letter queue, whose alarm notifies.
      retryAttempts: 0,
      deadLetterQueue: this.deadLetterQueue,
      role: this.role,
      logGroup: this.logGroup,
      description: `Quarantine of ${service.serviceName}: termination hook of both colours and the retention sweep`,
      environment: {
        [QUARANTINE_ENV.SERVICE_NAME]: service.serviceName,
        [QUARANTINE_ENV.RELEASE_STATE_TABLE]: service.releaseStateTable.tableName,
      },
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Termination lifecycle actions of ${service.serviceName}'s colours at ${QUARANTINE_HOOK_NAME}: keep or let go`,
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: {
          AutoScalingGroupName: fleets.map((f) => f.autoScalingGroup.autoScalingGroupName),
          LifecycleHookName: [QUARANTINE_HOOK_NAME],
        },
      },
      // After the hook's 5-minute heartbeat the action has continued on its own: an older event is moot.
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue, maxEventAge: Duration.minutes(5), retryAttempts: 2 })],
    });
    this.sweepRule = new events.Rule(this, 'SweepSchedule', {
      description: `Quarantine sweep of ${service.serviceName}: retention, stale claims, the flapping gauge`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject({ source: QUARANTINE_SWEEP_SOURCE }),
          deadLetterQueue: this.deadLetterQueue,
          // The next minute's sweep does the same work.
          retryAttempts: 0,
        }),
      ],
    });

    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmName: `${service.serviceName}-quarantine-failed`,
      alarmDescription:
        `${service.serviceName}: a quarantine event or sweep was not handled; its events are in ${this.deadLetterQueue.queueName}. ` +
        "Terminations still happen (after the hook's 5 minutes); run 'bluegreen quarantine' to check kept instances and their expiry, then purge the queue.",
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failureAlarm.addAlarmAction(new cloudwatchActions.SnsAction(service.topic));
  }
}

/**
 * Exactly what the function calls, scoped to the service: its two groups, its two target groups, instances tagged
 * with its name, its security groups, its table, descriptor, topic and evidence prefix.
 */
function grantQuarantine(role: iam.Role, service: BlueGreenService, securityGroup: ec2.SecurityGroup, evidencePrefix: string, settings: QuarantineSettings): void {
  const stack = Stack.of(service);
  const add = (statement: iam.PolicyStatementProps) => role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  const fleets = [service.blue, service.green];
  const groupArn = (f: ColourFleet) =>
    stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: `*:autoScalingGroupName/${f.autoScalingGroup.autoScalingGroupName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const ec2Arn = (resource: string, resourceName: string, account?: string) => stack.formatArn({ service: 'ec2', resource, resourceName, ...(account === undefined ? {} : { account }) });
  const instances = ec2Arn('instance', '*');
  const ofService = { StringEquals: { 'aws:ResourceTag/bluegreen:service': service.serviceName } };

  // The descriptor (the healing section and the colours) and the `<service>#quarantine` record.
  add({ actions: ['ssm:GetParameter'], resources: [service.descriptorParameter.parameterArn] });
  service.releaseStateTable.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem');

  // Ending the hook and terminating kept instances: the two groups only. Group ARNs hold an id unknown before
  // deploy, hence the `*` in that one field.
  add({ actions: ['autoscaling:CompleteLifecycleAction', 'autoscaling:TerminateInstanceInAutoScalingGroup'], resources: fleets.map(groupArn) });
  // These describe calls support no resource-level permissions.
  add({ actions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities'], resources: ['*'] });

  // Isolating: only instances tagged as the service's (every instance of its groups is), and only the quarantine
  // group and the colours' own groups as the security groups to set.
  add({ actions: ['ec2:DescribeInstances'], resources: ['*'] });
  add({ actions: ['ec2:ModifyInstanceAttribute', 'ec2:GetConsoleOutput'], resources: [instances], conditions: ofService });
  // Only the quarantine group may be attached: IAM checks the groups named in the request, not the ones removed.
  add({ actions: ['ec2:ModifyInstanceAttribute'], resources: [ec2Arn('security-group', securityGroup.securityGroupId)] });
  add({
    actions: ['ec2:CreateTags'],
    resources: [instances],
    conditions: { ...ofService, 'ForAllValues:StringEquals': { 'aws:TagKeys': [...QUARANTINE_TAG_KEYS] } },
  });
  if (settings.snapshots) {
    // A CreateSnapshots call names an instance, which must be the service's; its volumes carry the service tag
    // from the launch template. New snapshots have no tags to condition on yet; tags only at their creation.
    add({ actions: ['ec2:CreateSnapshots'], resources: [instances, ec2Arn('volume', '*')], conditions: ofService });
    add({ actions: ['ec2:CreateSnapshots'], resources: [ec2Arn('snapshot', '*', '')] });
    add({ actions: ['ec2:CreateTags'], resources: [ec2Arn('snapshot', '*', '')], conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } } });
  }
  add({ actions: ['elasticloadbalancing:DeregisterTargets'], resources: fleets.map((f) => f.targetGroup.targetGroupArn) });
  // DescribeTargetHealth supports no resource-level permissions.
  add({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] });

  // Evidence: write-only, under the service's prefix of its access-logs bucket.
  add({ actions: ['s3:PutObject'], resources: [service.accessLogsBucket.arnForObjects(`${evidencePrefix}*`)] });
  service.accessLogsBucket.encryptionKey?.grantEncrypt(role);
  // Exact KMS actions on the topic's key (grantPublish would add kms:GenerateDataKey*, a wildcard action).
  add({ actions: ['sns:Publish'], resources: [service.topic.topicArn] });
  service.topic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  // PutMetricData has no resources; the condition keeps it to the healing gauge's namespace.
  add({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': HEALING_METRIC.NAMESPACE } } });
}
