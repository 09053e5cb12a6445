import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BlueGreenService } from '../fleet/blue-green-service';
import { propError } from '../fleet/private/validate';
import { ServiceAlarms } from '../health/service-alarms';
import { AUTO_ROLLBACK_ENV } from './private/auto-rollback-env';

/** Properties of the automatic rollback. */
export interface AutoRollbackProps {
  /** The service to roll back. */
  readonly service: BlueGreenService;
  /** The service's alarms: their per-colour gates (composite alarms) trigger the rollback. Must watch `service`. */
  readonly alarms: ServiceAlarms;
  /**
   * Whether a gate firing on the colour the last release promoted rolls it back too, while the old colour is still
   * warm (`ready`, before its scheduled scale-down), like Argo Rollouts' post-promotion analysis. Without it, only a
   * release in progress is rolled back.
   *
   * @default true
   */
  readonly rollbackAfterPromotion?: boolean;
  /**
   * Whether the rule that triggers the rollback is enabled. Disable it to stop automatic rollbacks without removing
   * the construct.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Whether the function reserves exactly one concurrent execution, so rollbacks run one at a time (two gates can
   * fire together: the load balancer's 5xx alarm is in both). Correctness does not depend on it (the release
   * record is written with compare-and-set, and a rollback of a rolled-back release only sets the same weights
   * again), so turn it off in an account whose Lambda concurrency quota is too low to reserve any: Lambda keeps 100
   * executions unreserved, and new accounts may have a quota of 10, where the deploy fails with
   * "decreases account's UnreservedConcurrentExecution below its minimum value".
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Rolls a release back when the gate alarm of the colour it put traffic on fires, without a pipeline: CloudWatch
 * sends the gate's change to ALARM to EventBridge, which invokes a small function that runs the same release engine
 * as the `bluegreen` CLI and records the rollback (owner `auto-rollback`) in the release state.
 *
 * It rolls back the candidate of a release in progress, whether its pipeline is alive or died mid-release; and, with
 * `rollbackAfterPromotion`, the colour a release promoted while the old colour is still warm. A gate on the idle
 * colour, or on a live colour with nothing warm behind it, is left alone with a log line saying why. One rollback
 * runs at a time (see `reserveConcurrency`); events the function could not handle after two retries go to
 * `deadLetterQueue`, and `failureAlarm` notifies the service's topic.
 *
 * @example
 * const alarms = new ServiceAlarms(this, 'Alarms', { service });
 * new AutoRollback(this, 'AutoRollback', { service, alarms });
 */
export class AutoRollback extends Construct implements iam.IGrantable {
  /** The function that decides and rolls back. */
  public readonly function: lambda.IFunction;
  /** The rule matching both gate alarms' changes to ALARM. */
  public readonly rule: events.Rule;
  /** Role of the function. */
  public readonly role: iam.Role;
  /** Log group of the function: one JSON line per decision and per engine event. */
  public readonly logGroup: logs.LogGroup;
  /** Events neither EventBridge nor the function could handle (after the function's two retries). */
  public readonly deadLetterQueue: sqs.Queue;
  /** In ALARM while `deadLetterQueue` holds events: an automatic rollback did not happen. Notifies the service's topic. */
  public readonly failureAlarm: cloudwatch.Alarm;
  /** The function's role, to grant it more (for example a KMS key of a customer-managed release-state table). */
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: AutoRollbackProps) {
    super(scope, id);
    const { service, alarms } = props;
    if (alarms.service !== service) {
      throw propError('alarms', alarms.node.path, `must be the ServiceAlarms of service '${service.serviceName}' (${service.node.path}), whose gates this rolls back.`);
    }
    const gates = [alarms.blue.composite, alarms.green.composite];
    const rollbackAfterPromotion = props.rollbackAfterPromotion ?? true;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Automatic rollback of ${service.serviceName}: reads the descriptor, moves the weights back, records the rollback`,
    });
    this.grantPrincipal = this.role;
    this.logGroup.grantWrite(this.role);
    grantRollback(this.role, service);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(__dirname, 'runtime', 'auto-rollback.handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // A verified rollback takes seconds; the margin covers SDK retries when the ELB API throttles.
      timeout: Duration.minutes(1),
      memorySize: 256,
      reservedConcurrentExecutions: (props.reserveConcurrency ?? true) ? 1 : undefined,
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
      role: this.role,
      logGroup: this.logGroup,
      description: `Automatic rollback of ${service.serviceName} when a gate alarm fires`,
      environment: {
        [AUTO_ROLLBACK_ENV.SERVICE_NAME]: service.serviceName,
        [AUTO_ROLLBACK_ENV.ROLLBACK_AFTER_PROMOTION]: String(rollbackAfterPromotion),
      },
      bundling: { minify: true, externalModules: ['@aws-sdk/*'], target: 'node24' },
    });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Gate alarms of ${service.serviceName} entering ALARM: automatic rollback`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: gates.map((g) => g.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue })],
    });

    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmName: `${service.serviceName}-auto-rollback-failed`,
      alarmDescription:
        `${service.serviceName}: an automatic rollback did not happen; its alarm events are in ${this.deadLetterQueue.queueName}. ` +
        "Run 'bluegreen status', roll back by hand if needed, then purge the queue.",
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
 * Exactly what the function calls: the descriptor, the release record, the alarm's state and the two rules. No
 * Auto Scaling: a rollback only moves traffic back to a colour that is still warm; scaling is left to the CLI.
 */
function grantRollback(role: iam.Role, service: BlueGreenService): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [service.descriptorParameter.parameterArn] }));
  service.releaseStateTable.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticloadbalancing:ModifyRule'],
      resources: [service.traffic.productionRule.listenerRuleArn, service.traffic.testRule.listenerRuleArn],
    }),
  );
  // DescribeRules and DescribeTargetHealth support no resource-level permissions.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
  );
  // DescribeAlarms returns composite alarms (the gates) only when allowed on `*`, per its API reference.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
}
