import { ArnFormat, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { bundledHandlerCode } from '../private/bundled-handler';
import { Construct } from 'constructs';
import { IBlueGreenService } from '../fleet/blue-green-service';
import { Colour } from '../fleet/colour';
import { HookPoint } from '../hooks/hook-point';
import { propError } from '../private/validate';
import { ServiceAlarms } from '../health/service-alarms';
import { AUTO_ROLLBACK_ENV, RECONCILE_SOURCE } from '../../lib/contract';

/** Properties of the automatic rollback. */
export interface AutoRollbackProps {
  /** The service to roll back. */
  readonly service: IBlueGreenService;
  /** The service's alarms: their per-colour gates (composite alarms) trigger the rollback. Must watch `service`. */
  readonly alarms: ServiceAlarms;
  /**
   * Whether a gate firing on the colour the last release promoted rolls it back too, while the old colour is still
   * warm (not yet scaled down, with healthy targets), like Argo Rollouts' post-promotion analysis. Without it, only
   * a release in progress is rolled back.
   *
   * @default true
   */
  readonly rollbackAfterPromotion?: boolean;
  /**
   * Whether the rules that trigger the function (the gates' rule and the reconcile schedule) are enabled. Disable
   * them to stop automatic rollbacks and scale-downs without removing the construct.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Whether the function also runs on a schedule (the release engine's `reconcile()`) for what alarm events cannot
   * catch, since a gate already in ALARM sends no new event: it rolls back again a rolled-back release whose weights
   * moved off the stable colour (a dead pipeline's weight change that landed late), sets 100 % on a promoted colour
   * again when a late weight change moved traffic off it (if it is healthy and its gate quiet), rolls back an
   * interrupted release (heartbeat older than its lease) whose candidate fails its gate (an alarm firing, or fewer
   * healthy targets than its desired capacity), and puts a promoted release's old colour in standby once its
   * `scaleDownAt` has passed, unless the promoted colour's gate fires. An idle tick reads the release record, and
   * the production weights once a release has ended.
   *
   * @default true
   */
  readonly reconcile?: boolean;
  /**
   * How often the reconciler runs: a whole number of minutes from 1 to 60. It bounds how long a missed rollback
   * or a due scale-down waits.
   *
   * @default Duration.minutes(1)
   */
  readonly reconcileInterval?: Duration;
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
 * colour, or on a live colour with nothing warm behind it, is left alone with a log line saying why. A schedule
 * (`reconcile`, every minute by default) runs the same function for what no alarm event announces, and puts the old
 * colour of a promoted release in standby when its delay is over. After a rollback it runs the service's `ON_ROLLBACK`
 * release hooks (its role may invoke their functions; its timeout grows by what they may take, up to Lambda's 15
 * minutes). One invocation runs at a time (see `reserveConcurrency`);
 * events the function could not handle after two retries go to `deadLetterQueue`, and `failureAlarm` notifies the
 * service's topic.
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
  /** The schedule that runs the reconciler; undefined when `reconcile` is off. */
  public readonly reconcileRule?: events.Rule;
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
    const gates = [alarms.blue.gate, alarms.green.gate];
    const rollbackAfterPromotion = props.rollbackAfterPromotion ?? true;
    const reconcile = props.reconcile ?? true;
    checkReconcileInterval(reconcile, props.reconcileInterval);
    const enabled = props.enabled ?? true;

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
    if (reconcile) grantScaleDown(this.role, service);

    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandlerCode('auto-rollback'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // A verified rollback takes seconds; the margin covers SDK retries when the ELB API throttles. The service's
      // on-rollback hooks run after it, each for at most its timeout times its attempts (read at synth, so hooks
      // added after this construct count too).
      timeout: Duration.seconds(Lazy.number({ produce: () => functionTimeoutSeconds(service) })),
      memorySize: 256,
      reservedConcurrentExecutions: (props.reserveConcurrency ?? true) ? 1 : undefined,
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
      role: this.role,
      logGroup: this.logGroup,
      description: `Automatic rollback of ${service.serviceName} when a gate alarm fires${reconcile ? ', and its reconciler' : ''}`,
      environment: {
        [AUTO_ROLLBACK_ENV.SERVICE_NAME]: service.serviceName,
        [AUTO_ROLLBACK_ENV.ROLLBACK_AFTER_PROMOTION]: String(rollbackAfterPromotion),
        [AUTO_ROLLBACK_ENV.RELEASE_STATE_TABLE]: service.releaseStateTable.tableName,
      },
    });

    // A rollback whose on-rollback hooks cannot finish within Lambda's 15 minutes would be cut off mid-hook, and the
    // retried event finds the release already rolled back, so nothing would report it: refuse it at synth.
    this.node.addValidation({ validate: () => onRollbackBudgetProblems(service) });

    this.rule = new events.Rule(this, 'Rule', {
      description: `Gate alarms of ${service.serviceName} entering ALARM: automatic rollback`,
      enabled,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: gates.map((g) => g.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue })],
    });
    if (reconcile) {
      this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
        description: `Reconciles the releases of ${service.serviceName}: what no alarm event announces, and due scale-downs`,
        enabled,
        schedule: events.Schedule.rate(props.reconcileInterval ?? Duration.minutes(1)),
        targets: [
          new targets.LambdaFunction(this.function, {
            event: events.RuleTargetInput.fromObject({ source: RECONCILE_SOURCE }),
            deadLetterQueue: this.deadLetterQueue,
          }),
        ],
      });
    }

    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmName: `${service.serviceName}-auto-rollback-failed`,
      alarmDescription:
        `${service.serviceName}: an automatic rollback or reconcile did not happen; its events are in ${this.deadLetterQueue.queueName}. ` +
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

/** Throw unless the interval is a whole number of minutes from 1 to 60 (EventBridge rates are whole minutes). */
function checkReconcileInterval(reconcile: boolean, interval: Duration | undefined): void {
  if (interval === undefined) return;
  if (!reconcile) throw propError('reconcileInterval', interval, 'has no effect with reconcile: false; remove one of them.');
  if (interval.isUnresolved()) return;
  const minutes = interval.toSeconds() / 60;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
    throw propError('reconcileInterval', interval, 'must be a whole number of minutes from 1 to 60, e.g. Duration.minutes(1).');
  }
}

/**
 * Exactly what the function calls on an alarm event: the descriptor, the release record, the alarm's state, the two
 * rules, and the old colour's capacity and health (is it still warm?). It moves traffic only.
 */
function grantRollback(role: iam.Role, service: IBlueGreenService): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [service.descriptorParameter.parameterArn] }));
  service.releaseStateTable.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticloadbalancing:ModifyRule'],
      resources: [service.productionRuleArn, service.testRuleArn],
    }),
  );
  // DescribeRules and DescribeTargetHealth support no resource-level permissions.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
  );
  // DescribeAlarms returns composite alarms (the gates) only when allowed on `*`, per its API reference.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
  // DescribeAutoScalingGroups supports no resource-level permissions.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }));
  // After a rollback, the on-rollback release hooks: their functions only (none without such hooks).
  service.grantInvokeReleaseHooks(role, HookPoint.ON_ROLLBACK);
}

/** Time a rollback takes at most without hooks, seconds. */
const ROLLBACK_SECONDS = 60;
/** Lambda's limit, seconds. */
const LAMBDA_MAX_SECONDS = 900;

/**
 * The function's timeout: a rollback, then every on-rollback hook with all its attempts, at most Lambda's 15
 * minutes (also when a hook's timeout is a token).
 */
function onRollbackBudgetProblems(service: IBlueGreenService): string[] {
  const hooks = service.releaseHooks.filter((h) => h.point === HookPoint.ON_ROLLBACK && !h.timeout.isUnresolved() && !Token.isUnresolved(h.retries));
  const seconds = hooks.reduce((sum, h) => sum + h.timeout.toSeconds() * (h.retries + 1), ROLLBACK_SECONDS);
  if (seconds <= LAMBDA_MAX_SECONDS) return [];
  const each = hooks.map((h) => `${h.name} ${h.timeout.toSeconds()} s x ${h.retries + 1}`).join(', ');
  return [
    `the on-rollback hooks of '${service.serviceName}' need up to ${seconds} s with the rollback's ${ROLLBACK_SECONDS} s (${each}), more than a Lambda function's ${LAMBDA_MAX_SECONDS} s: ` +
      'lower their timeout or retries so the automatic rollback can run them all.',
  ];
}

function functionTimeoutSeconds(service: IBlueGreenService): number {
  let seconds = ROLLBACK_SECONDS;
  for (const hook of service.releaseHooks.filter((h) => h.point === HookPoint.ON_ROLLBACK)) {
    if (hook.timeout.isUnresolved() || Token.isUnresolved(hook.retries)) return LAMBDA_MAX_SECONDS;
    seconds += hook.timeout.toSeconds() * (hook.retries + 1);
  }
  return Math.min(seconds, LAMBDA_MAX_SECONDS);
}

/**
 * The reconciler's scale-down: the two colours' groups, and only to standby (min and max 0), so the function can
 * never start instances. Group ARNs hold an id unknown before deploy, hence the `*` in that one field.
 */
function grantScaleDown(role: iam.Role, service: IBlueGreenService): void {
  const stack = Stack.of(service);
  const groupArn = (name: string) =>
    stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: `*:autoScalingGroupName/${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['autoscaling:UpdateAutoScalingGroup'],
      resources: [groupArn(service.colour(Colour.BLUE).autoScalingGroup.autoScalingGroupName), groupArn(service.colour(Colour.GREEN).autoScalingGroup.autoScalingGroupName)],
      conditions: { NumericEquals: { 'autoscaling:MinSize': 0, 'autoscaling:MaxSize': 0 } },
    }),
  );
}
