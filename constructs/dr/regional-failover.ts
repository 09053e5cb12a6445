import { Annotations, CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { BlueGreenService } from '../fleet/blue-green-service';
import { checkIntRange, propError } from '../private/validate';
import { FailoverSwitch } from './failover-switch';
import { FailoverWatcher } from './private/watcher';
import { RegionRole } from './region-role';
import {
  DisasterRecoveryDescriptor,
  drRegionHealthAlarmName,
  DR_SWITCH_NAMESPACE,
  drSwitchAlarmName,
  regionalRecordName,
  RegionRoleName,
  StandbyModeName,
} from '../../lib/contract';

/** Alias records to a load balancer carry Route 53's fixed TTL. */
const ALIAS_TTL_SECONDS = 60;
/** Period of the switch and health alarms. */
const ALARM_PERIOD = Duration.minutes(1);

/** Properties of a Region's half of DNS failover. */
export interface RegionalFailoverProps {
  /** The service in this stack; it must have a `disasterRecovery` role. */
  readonly service: BlueGreenService;
  /**
   * The public hosted zone of the failover record, given by id and name
   * (`HostedZone.fromHostedZoneAttributes`): synth makes no lookups.
   */
  readonly hostedZone: route53.IHostedZone;
  /**
   * The failover record both Regions share, e.g. `www.example.com`. It must be inside the hosted zone. Each Region
   * also gets `<region>.<recordName>` pointing at its own load balancer, which probes and endpoint checks use.
   */
  readonly recordName: string;
  /**
   * Interval of the endpoint health checks: 10 or 30 seconds (Route 53 cannot change it after creation).
   *
   * @default Duration.seconds(10)
   * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
   */
  readonly healthCheckInterval?: Duration;
  /**
   * Consecutive failed endpoint checks before Route 53 considers a Region unhealthy: 1 to 10.
   *
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * On failover, the standby's live colour is scaled to this percentage (1 to 100) of the primary's last known
   * desired capacity, bounded by its maximum.
   *
   * @default 100
   */
  readonly failoverCapacityPercent?: number;
  /**
   * Whether a failover may serve a version older than the one the primary served.
   *
   * @default false
   */
  readonly allowVersionSkew?: boolean;
  /**
   * Standby only: consecutive failed probes of the primary (one a minute) before the watcher fails over: 1 to 60.
   *
   * @default 3
   */
  readonly watcherFailureThreshold?: number;
  /**
   * The Region's health alarm fires when the load balancer returns at least this many 5xx responses of its own
   * (`HTTPCode_ELB_5XX_Count`) in a minute.
   *
   * @default 50
   */
  readonly healthAlarmThreshold?: number;
  /**
   * Standby only: the drill switch, when it lives in a stack of its own that deploys before the primary's (see
   * `FailoverSwitch`). It must be in this Region and for this service.
   *
   * @default - a new switch in this construct
   */
  readonly failoverSwitch?: FailoverSwitch;
}

/**
 * One Region's half of a disaster-recovery pair: the failover record (PRIMARY or SECONDARY, by the service's
 * `disasterRecovery` role), a Region record `<region>.<recordName>`, the Region's health alarm and endpoint check,
 * and in the standby the drill switch alarm and the failover watcher. Add one to each Region's stack; nothing refers
 * across Regions except deterministic names, so each stack deploys alone (the standby's first, because the primary's
 * health check names the standby's switch alarm).
 *
 * @example
 * new RegionalFailover(this, 'Failover', {
 *   service,
 *   hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: 'Z0123456789ABC', zoneName: 'example.com' }),
 *   recordName: 'www.example.com',
 * });
 */
export class RegionalFailover extends Construct {
  /** The service's role in the pair. */
  public readonly role: RegionRole;
  /** The failover record (PRIMARY in the primary, SECONDARY in the standby). */
  public readonly failoverRecord: route53.CfnRecordSet;
  /** This Region's own record, `<region>.<recordName>`, an alias of its load balancer. */
  public readonly regionalRecord: route53.ARecord;
  /** The failover record's name, without the trailing dot. */
  public readonly recordName: string;
  /** The Region record's name, without the trailing dot. */
  public readonly regionalRecordName: string;
  /** HTTP(S) check of the service's health path through the Region record. */
  public readonly endpointHealthCheck: route53.HealthCheck;
  /** The health check of the failover record: the endpoint check in the standby, a calculated check in the primary. */
  public readonly healthCheck: route53.IHealthCheck;
  /** The Region's health alarm: the load balancer's own 5xx responses. */
  public readonly healthAlarm: cloudwatch.Alarm;
  /** Standby only: the drill switch alarm, latched in ALARM while the pair is failed over. */
  public readonly switchAlarm?: cloudwatch.Alarm;
  /** Standby only: the function that fails over when the primary stops answering. */
  public readonly watcherFunction?: lambda.IFunction;
  /** Standby only: the watcher's function name. */
  public readonly watcherFunctionName?: string;
  private readonly service: BlueGreenService;
  private readonly hostedZone: route53.IHostedZone;
  private readonly healthCheckIds: string[] = [];

  constructor(scope: Construct, id: string, props: RegionalFailoverProps) {
    super(scope, id);
    const { service } = props;
    this.service = service;
    this.hostedZone = props.hostedZone;
    this.role = roleOf(service);
    if (Stack.of(service) !== Stack.of(this)) {
      throw propError('service', service.node.path, `must be in this construct's stack (${Stack.of(this).stackName}): each Region's stack owns its failover; add the RegionalFailover to ${Stack.of(service).stackName}.`);
    }
    const settings = resolveSettings(props);
    const region = Stack.of(this).region;
    const zoneName = zoneNameOf(props.hostedZone);
    this.recordName = checkRecordName(props.recordName, zoneName);
    this.regionalRecordName = regionalRecordName(region, this.recordName);
    const alias = route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(service.loadBalancer, { evaluateTargetHealth: false }));

    this.regionalRecord = new route53.ARecord(this, 'RegionalRecord', {
      zone: props.hostedZone,
      recordName: `${this.regionalRecordName}.`,
      target: alias,
      comment: `${service.serviceName} in ${region} (${this.role.name}): probes and endpoint checks`,
    });
    this.endpointHealthCheck = this.createEndpointCheck(settings);
    this.healthAlarm = this.createHealthAlarm(region, settings.healthAlarmThreshold);
    this.switchAlarm = this.role.isPrimary ? checkNoSwitch(props.failoverSwitch) : this.switchOf(props.failoverSwitch, region);
    this.healthCheck = this.role.isPrimary ? this.createPrimaryCheck() : this.endpointHealthCheck;

    // L1: aws-cdk-lib's ARecord insists on EvaluateTargetHealth for failover aliases, which the design turns off
    // (an idle colour at zero instances would make the alias unhealthy); Route 53 accepts it with a health check.
    this.failoverRecord = new route53.CfnRecordSet(this, 'FailoverRecord', {
      hostedZoneId: props.hostedZone.hostedZoneId,
      name: `${this.recordName}.`,
      type: route53.RecordType.A,
      aliasTarget: {
        // As route53-targets' LoadBalancerTarget writes it for the Region record: IPv4 and IPv6 answers.
        dnsName: `dualstack.${service.loadBalancer.loadBalancerDnsName}`,
        hostedZoneId: service.loadBalancer.loadBalancerCanonicalHostedZoneId,
        evaluateTargetHealth: false,
      },
      failover: this.role.isPrimary ? 'PRIMARY' : 'SECONDARY',
      setIdentifier: `bluegreen-${service.serviceName}-${region}`,
      healthCheckId: this.healthCheck.healthCheckId,
      comment: `${service.serviceName}: ${this.role.isPrimary ? 'PRIMARY' : 'SECONDARY'} in ${region}`,
    });

    if (!this.role.isPrimary) {
      const primaryRegion = this.role.peerRegion;
      const watcher = new FailoverWatcher(this, 'Watcher', {
        service,
        primaryRegion,
        failureThreshold: settings.watcherFailureThreshold,
      });
      this.watcherFunction = watcher.function;
      this.watcherFunctionName = watcher.function.functionName;
    }
    service._registerDisasterRecovery(this.describe(settings, region, zoneName, props.hostedZone.hostedZoneId));
    this.addOutputs();
    if (service.routingIdentity.startsWith('internal')) {
      Annotations.of(this).addWarningV2(
        'cdk-bluegreen:drInternalLoadBalancer',
        `${service.serviceName}'s load balancer is internal: Route 53's health checkers cannot reach ${this.regionalRecordName}, so its endpoint check stays unhealthy. Make the load balancer internet-facing for DNS failover.`,
      );
    }
  }

  /**
   * Grant what the `bluegreen dr` commands do in this Region: everything `grantRelease` grants on the service,
   * writing the drill switch metric (only in its namespace), reading alarms, and reading Route 53's view (this
   * Region's health checks, the zone's records, DNS answers). Grant it from both Regions' stacks.
   */
  public grantDisasterRecovery(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const grants = [
      this.service.grantRelease(grantee),
      iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:PutMetricData'], resourceArns: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': DR_SWITCH_NAMESPACE } } }),
      // DescribeAlarms returns composite alarms (the gates) only when allowed on `*`; it only reads.
      iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:DescribeAlarms'], resourceArns: ['*'] }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['route53:GetHealthCheck', 'route53:GetHealthCheckStatus'],
        resourceArns: this.healthCheckIds.map((hc) => stack.formatArn({ service: 'route53', region: '', account: '', resource: 'healthcheck', resourceName: hc })),
      }),
      iam.Grant.addToPrincipal({ grantee, actions: ['route53:ListResourceRecordSets'], resourceArns: [this.hostedZone.hostedZoneArn] }),
      // TestDNSAnswer supports no resource-level permissions; it only reads.
      iam.Grant.addToPrincipal({ grantee, actions: ['route53:TestDNSAnswer'], resourceArns: ['*'] }),
    ];
    return grants.reduce((a, b) => a.combine(b));
  }

  private createEndpointCheck(settings: ResolvedSettings): route53.HealthCheck {
    const https = this.service.productionProtocol === elbv2.ApplicationProtocol.HTTPS;
    const check = new route53.HealthCheck(this, 'EndpointHealthCheck', {
      type: https ? route53.HealthCheckType.HTTPS : route53.HealthCheckType.HTTP,
      fqdn: this.regionalRecordName,
      port: this.service.productionPort,
      resourcePath: this.service.healthCheckPath,
      requestInterval: settings.interval,
      failureThreshold: settings.failureThreshold,
    });
    this.healthCheckIds.push(check.healthCheckId);
    return check;
  }

  /**
   * The Region's health alarm. It watches `HTTPCode_ELB_5XX_Count`, the 5xx responses the load balancer makes
   * itself (502/503/504: no healthy target, targets refusing or timing out): what clients get whichever colour
   * serves. Targets' own 5xx are a release's business (the colour gates roll it back), not a reason to leave the
   * Region, and Route 53 accepts neither metric math nor composite alarms to combine them.
   */
  private createHealthAlarm(region: string, threshold: number): cloudwatch.Alarm {
    const metric = this.service.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: cloudwatch.Stats.SUM, period: ALARM_PERIOD });
    const alarm = new cloudwatch.Alarm(this, 'HealthAlarm', {
      alarmName: drRegionHealthAlarmName(this.service.serviceName, region),
      alarmDescription: `${this.service.serviceName} in ${region}: the load balancer returned ${threshold} or more 5xx of its own in a minute. Watched by the primary's DNS failover health check.`,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No requests, no data: not a reason to leave the Region.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.service.topic));
    return alarm;
  }

  /** The standby's switch: the one given (checked), or a new one here. */
  private switchOf(given: FailoverSwitch | undefined, region: string): cloudwatch.Alarm {
    if (!given) return new FailoverSwitch(this, 'Switch', { serviceName: this.service.serviceName, topic: this.service.topic }).alarm;
    if (given.serviceName !== this.service.serviceName) {
      throw propError('failoverSwitch', given.serviceName, `must be the switch of service '${this.service.serviceName}': create it with serviceName: '${this.service.serviceName}'.`);
    }
    if (given.region !== region) {
      throw propError('failoverSwitch', given.region, `must be in the standby Region (${region}), where the primary's health check reads it.`);
    }
    return given.alarm;
  }

  /**
   * The primary's check: healthy only while all three children are. The switch alarm lives in the standby Region
   * and is named, not referenced; with no data yet (a standby never switched) it counts as healthy. The health alarm
   * keeps its last known status when CloudWatch has no data.
   */
  private createPrimaryCheck(): route53.HealthCheck {
    const name = this.service.serviceName;
    const region = Stack.of(this).region;
    const switchCheck = new route53.HealthCheck(this, 'SwitchHealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: drSwitchAlarmName(name), region: this.role.peerRegion },
      // Route 53 follows the alarm's metric data, not its state: between the switch's writes (the watcher rewrites it
      // every minute while failed over) it keeps the last status. A check with no history yet counts as healthy.
      insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });
    const alarmCheck = new route53.HealthCheck(this, 'HealthAlarmHealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: drRegionHealthAlarmName(name, region), region },
      insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });
    alarmCheck.node.addDependency(this.healthAlarm);
    const children = [this.endpointHealthCheck, switchCheck, alarmCheck];
    const check = new route53.HealthCheck(this, 'PrimaryHealthCheck', {
      type: route53.HealthCheckType.CALCULATED,
      childHealthChecks: children,
      healthThreshold: children.length,
    });
    this.healthCheckIds.push(switchCheck.healthCheckId, alarmCheck.healthCheckId, check.healthCheckId);
    return check;
  }

  private describe(settings: ResolvedSettings, region: string, zoneName: string, hostedZoneId: string): DisasterRecoveryDescriptor {
    const mode = this.role.standbyMode;
    return {
      role: this.role.name as RegionRoleName,
      primaryRegion: this.role.primaryRegion(region),
      standbyRegion: this.role.standbyRegion(region),
      standbyMode: mode.name as StandbyModeName,
      standbyCapacityPercent: mode.capacityPercent,
      failoverCapacityPercent: settings.failoverCapacityPercent,
      allowVersionSkew: settings.allowVersionSkew,
      hostedZoneId,
      zoneName,
      recordName: this.recordName,
      regionalRecordName: this.regionalRecordName,
      dns: {
        ttlSeconds: ALIAS_TTL_SECONDS,
        intervalSeconds: settings.interval.toSeconds(),
        failureThreshold: settings.failureThreshold,
        alarmPeriodSeconds: ALARM_PERIOD.toSeconds(),
      },
      endpoint: { protocol: this.service.productionProtocol, port: this.service.productionPort, healthPath: this.service.healthCheckPath },
      switchAlarmName: drSwitchAlarmName(this.service.serviceName),
      healthAlarmName: drRegionHealthAlarmName(this.service.serviceName, region),
      healthCheckId: this.healthCheck.healthCheckId,
      ...(this.watcherFunctionName ? { watcherFunctionName: this.watcherFunctionName } : {}),
    };
  }

  private addOutputs() {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('FailoverRecordName', this.recordName, `Failover record of ${this.service.serviceName} (${this.role.isPrimary ? 'PRIMARY' : 'SECONDARY'} here)`);
    out('RegionalRecordName', this.regionalRecordName, `This Region's own record of ${this.service.serviceName}`);
    out('FailoverHealthCheckId', this.healthCheck.healthCheckId, 'Route 53 health check of the failover record');
  }
}

interface ResolvedSettings {
  readonly interval: Duration;
  readonly failureThreshold: number;
  readonly failoverCapacityPercent: number;
  readonly allowVersionSkew: boolean;
  readonly watcherFailureThreshold: number;
  readonly healthAlarmThreshold: number;
}

function resolveSettings(props: RegionalFailoverProps): ResolvedSettings {
  const interval = props.healthCheckInterval ?? Duration.seconds(10);
  if (interval.isUnresolved() || ![10, 30].includes(interval.toSeconds())) {
    throw propError('healthCheckInterval', interval, 'must be 10 or 30 seconds (Route 53 offers only these), e.g. Duration.seconds(10).');
  }
  const settings: ResolvedSettings = {
    interval,
    failureThreshold: props.failureThreshold ?? 3,
    failoverCapacityPercent: props.failoverCapacityPercent ?? 100,
    allowVersionSkew: props.allowVersionSkew ?? false,
    watcherFailureThreshold: props.watcherFailureThreshold ?? 3,
    healthAlarmThreshold: props.healthAlarmThreshold ?? 50,
  };
  checkIntRange('failureThreshold', settings.failureThreshold, 1, 10);
  checkIntRange('failoverCapacityPercent', settings.failoverCapacityPercent, 1, 100);
  checkIntRange('watcherFailureThreshold', settings.watcherFailureThreshold, 1, 60);
  checkIntRange('healthAlarmThreshold', settings.healthAlarmThreshold, 1, 1000000);
  for (const [prop, value] of Object.entries({ failureThreshold: settings.failureThreshold, failoverCapacityPercent: settings.failoverCapacityPercent })) {
    if (Token.isUnresolved(value)) throw propError(prop, value, 'must be a literal number: it is published in the descriptor.');
  }
  return settings;
}

function checkNoSwitch(given: FailoverSwitch | undefined): undefined {
  if (given) {
    throw propError('failoverSwitch', given.node.path, 'applies only to the standby: the switch lives in the standby Region. Remove it from the primary.');
  }
  return undefined;
}

function roleOf(service: BlueGreenService): RegionRole {
  if (!service.disasterRecovery) {
    throw propError(
      'service',
      service.node.path,
      `has no disasterRecovery role: set disasterRecovery: RegionRole.primary({ standbyRegion }) or RegionRole.standby({ primaryRegion, mode }) on service '${service.serviceName}'.`,
    );
  }
  return service.disasterRecovery;
}

function zoneNameOf(zone: route53.IHostedZone): string {
  let name: string;
  try {
    name = zone.zoneName;
  } catch {
    name = '';
  }
  if (!name || Token.isUnresolved(name)) {
    throw propError('hostedZone', zone.node.path, 'must have a literal zone name: use HostedZone.fromHostedZoneAttributes({ hostedZoneId, zoneName }) (no lookups).');
  }
  return normaliseName(name);
}

/** The record name, lower-case without the trailing dot; it must be the zone's apex or a name inside the zone. */
function checkRecordName(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName)) {
    throw propError('recordName', recordName, 'must be a literal name such as www.example.com: Region records are named after it at synth.');
  }
  const name = normaliseName(recordName);
  if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
    throw propError('recordName', recordName, `must be inside the hosted zone '${zoneName}' (e.g. www.${zoneName}); a hosted zone name that does not contain the record name cannot hold it.`);
  }
  return name;
}

function normaliseName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}
