import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BlueGreenService } from '../../fleet/blue-green-service';
import { Colour } from '../../fleet/colour';
import { bundledHandlerCode } from '../../private/bundled-handler';
import { descriptorParameterName, DR_SWITCH_NAMESPACE, DR_WATCHER_ENV } from '../../../lib/contract';

/** What the standby's watcher needs. */
export interface FailoverWatcherProps {
  readonly service: BlueGreenService;
  /** The primary Region (probed, and its descriptor read when it answers). */
  readonly primaryRegion: string;
  /** Consecutive failed probes before the watcher fails over. */
  readonly failureThreshold: number;
}

/**
 * The standby's watcher: a function run every minute that probes the primary through its Region record, fails over
 * when it stops answering, and latches a failover Route 53 made on its own. It lives in the standby Region, so a
 * dead primary Region cannot stop it; it reaches the primary only best effort.
 */
export class FailoverWatcher extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly schedule: events.Rule;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FailoverWatcherProps) {
    super(scope, id);
    const { service } = props;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Failover watcher of ${service.serviceName}: probes the primary, scales the standby up, writes the switch`,
    });
    this.logGroup.grantWrite(this.role);
    grantWatcher(this.role, props);

    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandlerCode('dr-watcher'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // A failover waits for the standby's targets to become healthy; the engine stops at its deadline and
      // leaves the operation in the DR record for the next tick to resume.
      timeout: Duration.minutes(15),
      memorySize: 256,
      retryAttempts: 0,
      role: this.role,
      logGroup: this.logGroup,
      description: `Failover watcher of ${service.serviceName} (standby of ${props.primaryRegion})`,
      environment: {
        [DR_WATCHER_ENV.SERVICE_NAME]: service.serviceName,
        [DR_WATCHER_ENV.DESCRIPTOR_PARAMETER]: descriptorParameterName(service.serviceName),
        [DR_WATCHER_ENV.FAILURE_THRESHOLD]: String(props.failureThreshold),
      },
    });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Failover watcher of ${service.serviceName}: one probe of the primary per minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}

/**
 * Exactly what a watcher tick and a watcher-driven failover call, scoped to this service's resources: reads are
 * narrowed where the API allows, writes always are.
 */
function grantWatcher(role: iam.Role, props: FailoverWatcherProps): void {
  const { service } = props;
  const stack = Stack.of(service);
  const add = (statement: iam.PolicyStatementProps) => role.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  // This Region's descriptor, and the primary's (same name, read only while the primary answers).
  // By name, not by reference: the descriptor names the watcher, so a reference would be a cycle.
  const descriptorArn = (region: string) =>
    Arn.format({ service: 'ssm', region, resource: 'parameter', resourceName: descriptorParameterName(service.serviceName).replace(/^\//, '') }, stack);
  add({ actions: ['ssm:GetParameter'], resources: [descriptorArn(stack.region), descriptorArn(props.primaryRegion)] });
  service.releaseStateTable.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem');
  const groupArn = (colour: Colour) =>
    stack.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${service.colour(colour).autoScalingGroup.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  add({ actions: ['autoscaling:UpdateAutoScalingGroup'], resources: [groupArn(Colour.BLUE), groupArn(Colour.GREEN)] });
  // These describe calls support no resource-level permissions.
  add({ actions: ['autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeRules'], resources: ['*'] });
  // PutMetricData has no resources; the condition keeps it to the switch's namespace.
  add({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': DR_SWITCH_NAMESPACE } } });
  // A failover waits until the standby's live colour has no firing alarm: its gate (a composite alarm, returned only
  // when DescribeAlarms is allowed on `*`) and the colour's metric alarms, besides the switch and health alarms. It
  // only reads.
  add({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] });
  // Exact KMS actions on the topic's key (grantPublish would add kms:GenerateDataKey*, a wildcard action).
  add({ actions: ['sns:Publish'], resources: [service.topic.topicArn] });
  service.topic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
}
