import { Duration, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { Healing } from '../healing/healing';
import { ImageSource } from '../image/image-source';
import { CapacityMode } from './capacity-mode';
import { Colour } from './colour';
import { ColourAlarmNames } from './colour-alarm-names';
import { ServiceHealthCheck } from './health-check';
import { resolveHealthCheck } from './private/health-check';
import { propError } from '../private/validate';
import { HEALING_METRIC } from '../../lib/contract';

/** Serving-size capacity of a colour: what `active` and `ready` run. */
export interface ServingCapacity {
  /** Minimum instances. */
  readonly minCapacity: number;
  /** Maximum instances. */
  readonly maxCapacity: number;
  /** Desired instances when the colour is scaled up (what the CLI restores and alarms expect). */
  readonly desiredCapacity: number;
  /**
   * Whether the template pins DesiredCapacity. Pinning resets the group's size on every deploy that touches it,
   * undoing scaling, so it happens only when the user set `desiredCapacity` explicitly.
   */
  readonly pinDesired: boolean;
}

/** Auto Scaling sizes as written to the template. */
interface GroupSizes {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity?: number;
}

/** Properties of one colour slot. Built by `BlueGreenService`; not usually created directly. */
export interface ColourFleetProps {
  /** Which colour this slot is. */
  readonly colour: Colour;
  /** Service name, for tags. */
  readonly serviceName: string;
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the instances. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Image the colour runs. */
  readonly image: ImageSource;
  /** Capacity mode the manifest declares. */
  readonly mode: CapacityMode;
  /** Serving-size capacity. */
  readonly capacity: ServingCapacity;
  /** Instance type. */
  readonly instanceType: ec2.InstanceType;
  /** Instance role (Session Manager access and whatever the app grants). */
  readonly role: iam.IRole;
  /** Security group of the load balancer: the only source admitted. */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** Port the application listens on. */
  readonly appPort: number;
  /**
   * Target group health check.
   *
   * @default - GET /health on the app port every 10 s, 5 s timeout, 2 to become healthy or unhealthy
   */
  readonly healthCheck?: ServiceHealthCheck;
  /** Time the target group waits for in-flight requests before deregistering. */
  readonly deregistrationDelay: Duration;
  /**
   * Ramp-up time for new targets.
   *
   * @default - no slow start
   */
  readonly slowStart?: Duration;
  /** Time after launch before ELB health checks can fail an instance. */
  readonly healthCheckGracePeriod: Duration;
  /** Topic for launch and termination notifications. */
  readonly notificationsTopic: sns.ITopic;
  /** Root volume size in GiB. */
  readonly rootVolumeSize: number;
  /**
   * User data for the instances.
   *
   * @default - none
   */
  readonly userData?: ec2.UserData;
  /**
   * Key pair for SSH.
   *
   * @default - none: use Session Manager
   */
  readonly keyPair?: ec2.IKeyPair;
  /**
   * How the colour heals when an instance fails its health checks.
   *
   * @default Healing.replace()
   */
  readonly healing?: Healing;
}

/**
 * One colour slot of a blue/green service, as alarms, dashboards and the automatic rollback need it.
 */
export interface IColourFleet extends IConstruct {
  /** The colour of this slot. */
  readonly colour: Colour;
  /** The Auto Scaling group. */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The target group. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Names of the colour's alarms, as published in the descriptor. */
  readonly alarms: ColourAlarmNames;

  /**
   * Record alarms of the colour in the service descriptor, so the `bluegreen` CLI gates releases on them and the
   * automatic rollback finds the gate. Later calls add to earlier ones.
   */
  registerAlarms(alarms: ColourAlarmNames): void;

  /**
   * Targets the load balancer sees as healthy.
   *
   * @default - Minimum over 1 minute
   */
  metricHealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Targets the load balancer sees as unhealthy.
   *
   * @default - Maximum over 1 minute
   */
  metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Requests routed to the colour.
   *
   * @default - Sum over 1 minute
   */
  metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * 5xx responses returned by the colour's targets.
   *
   * @default - Sum over 1 minute
   */
  metricTarget5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Target response time.
   *
   * @default - p99 over 1 minute
   */
  metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Health-driven replacements of the colour's instances within the flapping window, as the quarantine function
   * publishes them (every minute, and at each termination). Only published with `Healing.quarantine()`.
   *
   * @default - Maximum over 1 minute
   */
  metricRecentReplacements(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * One colour slot: launch template, security group, Auto Scaling group and target group.
 */
export class ColourFleet extends Construct implements IColourFleet, ec2.IConnectable {
  /** The colour of this slot. */
  public readonly colour: Colour;
  /** Launch template with the colour's image. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** Security group of the instances: admits only the load balancer. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The Auto Scaling group. */
  public readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The target group. */
  public readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The target group's full name, as CloudWatch's `TargetGroup` dimension. */
  public readonly targetGroupFullName: string;
  /** Network access of the instances. */
  public readonly connections: ec2.Connections;
  /** The capacity mode deployed. */
  public readonly mode: CapacityMode;
  /** Fingerprint of the image, known at synth; changes exactly when the image does. */
  public readonly imageFingerprint: string;
  /** The AMI id the launch template uses (a token for baked or SSM images, resolved at deploy). */
  public readonly imageId: string;
  /**
   * The termination lifecycle hook that hands health-driven terminations to the quarantine.
   *
   * @default - none: without `Healing.quarantine()` sick instances are only replaced
   */
  public readonly quarantineHook?: autoscaling.LifecycleHook;
  private readonly serviceName: string;
  private alarmNames: ColourAlarmNames = {};

  constructor(scope: Construct, id: string, props: ColourFleetProps) {
    super(scope, id);
    this.colour = props.colour;
    this.mode = props.mode;
    this.serviceName = props.serviceName;
    const healing = props.healing ?? Healing.replace();
    const healthCheck = resolveHealthCheck(props.healthCheck);
    const image = props.image.bind(this);
    this.imageFingerprint = image.fingerprint;
    this.imageId = image.imageId;
    checkArchitecture(props, image.architecture, image.fingerprint);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.serviceName} ${props.colour.name} instances: only the load balancer may connect`,
      allowAllOutbound: true,
    });
    this.admitLoadBalancer(props, healthCheck.port);
    this.connections = this.securityGroup.connections;

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: { getImage: () => ({ imageId: image.imageId, osType: ec2.OperatingSystemType.LINUX, userData: props.userData ?? ec2.UserData.forLinux() }) },
      instanceType: props.instanceType,
      userData: props.userData,
      role: props.role,
      securityGroup: this.securityGroup,
      keyPair: props.keyPair,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSize, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: props.appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: props.deregistrationDelay,
      slowStart: props.slowStart,
      healthCheck: {
        path: healthCheck.path,
        port: healthCheck.port === undefined ? 'traffic-port' : String(healthCheck.port),
        healthyHttpCodes: healthCheck.healthyHttpCodes,
        interval: healthCheck.interval,
        timeout: healthCheck.timeout,
        healthyThresholdCount: healthCheck.healthyThresholdCount,
        unhealthyThresholdCount: healthCheck.unhealthyThresholdCount,
      },
    });

    const size = capacityFor(props.mode, props.capacity);
    const autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      launchTemplate: this.launchTemplate,
      ...size,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: props.healthCheckGracePeriod,
      }),
      notifications: [{ topic: props.notificationsTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
      groupMetrics: [autoscaling.GroupMetrics.all()],
      cooldown: Duration.seconds(300),
      // A deploy that changes the launch template replaces instances one at a time, keeping full capacity
      // in service when the maximum allows a spare instance.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: minInService(size),
      }),
      // A health-driven replacement launches the new instance before terminating the sick one (maintenance
      // policy); with quarantine, an abandoned termination hook retains the instance instead of terminating it.
      ...healing._groupProps(),
    });
    this.quarantineHook = healing._addHook(autoScalingGroup);
    autoScalingGroup.attachToApplicationTargetGroup(targetGroup);
    this.targetGroup = targetGroup;
    this.targetGroupFullName = targetGroup.targetGroupFullName;
    this.autoScalingGroup = autoScalingGroup;
    Tags.of(this).add('bluegreen:service', props.serviceName);
    Tags.of(this).add('bluegreen:colour', props.colour.name);
  }

  /** Names of the colour's alarms, as published in the descriptor. */
  public get alarms(): ColourAlarmNames {
    return this.alarmNames;
  }

  /** Record the colour's alarms so the descriptor names them. Later calls add to earlier ones. */
  public registerAlarms(alarms: ColourAlarmNames): void {
    this.alarmNames = { ...this.alarmNames, ...alarms };
  }

  /**
   * Targets the load balancer sees as healthy.
   *
   * @default - Minimum over 1 minute
   */
  public metricHealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period: Duration.minutes(1), ...props });
  }

  /**
   * Targets the load balancer sees as unhealthy.
   *
   * @default - Maximum over 1 minute
   */
  public metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period: Duration.minutes(1), ...props });
  }

  /**
   * Requests routed to the colour.
   *
   * @default - Sum over 1 minute
   */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.requestCount({ statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /**
   * 5xx responses returned by the colour's targets.
   *
   * @default - Sum over 1 minute
   */
  public metricTarget5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /**
   * Target response time.
   *
   * @default - p99 over 1 minute
   */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1), ...props });
  }

  /**
   * Health-driven replacements of the colour's instances within the flapping window, as the quarantine function
   * publishes them (every minute, and at each termination). Only published with `Healing.quarantine()`.
   *
   * @default - Maximum over 1 minute
   */
  public metricRecentReplacements(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: HEALING_METRIC.NAMESPACE,
      metricName: HEALING_METRIC.RECENT_REPLACEMENTS,
      dimensionsMap: { [HEALING_METRIC.SERVICE_DIMENSION]: this.serviceName, [HEALING_METRIC.COLOUR_DIMENSION]: this.colour.name },
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Ingress on the instances and egress on the load balancer (which allows no other outbound traffic). */
  private admitLoadBalancer(props: ColourFleetProps, healthCheckPort: number | undefined) {
    const ports = new Set([props.appPort, healthCheckPort ?? props.appPort]);
    for (const port of ports) {
      this.securityGroup.connections.allowFrom(props.loadBalancerSecurityGroup, ec2.Port.tcp(port), `Load balancer to ${props.colour.name} on ${port}`);
    }
  }
}

/** An image built for one CPU architecture does not boot on the other. */
function checkArchitecture(props: ColourFleetProps, imageArchitecture: ec2.InstanceArchitecture | undefined, fingerprint: string) {
  if (!imageArchitecture || Token.isUnresolved(props.instanceType.toString())) return;
  const instanceArchitecture = props.instanceType.architecture;
  if (instanceArchitecture !== imageArchitecture) {
    throw propError(
      'instanceType',
      props.instanceType.toString(),
      `is ${instanceArchitecture} but ${props.colour.name}'s image ${fingerprint} is built for ${imageArchitecture}: ` +
        `pick an instance type for ${imageArchitecture} (e.g. ${imageArchitecture === ec2.InstanceArchitecture.ARM_64 ? 't4g.small' : 't3.small'}) or bake for ${instanceArchitecture}.`,
    );
  }
}

/**
 * The Auto Scaling sizes for a mode: serving-size for active and ready; zero for standby, forced by a maximum of
 * zero so no DesiredCapacity needs pinning.
 */
function capacityFor(mode: CapacityMode, capacity: ServingCapacity): GroupSizes {
  if (!mode.serving) {
    return { minCapacity: 0, maxCapacity: 0, desiredCapacity: capacity.pinDesired ? 0 : undefined };
  }
  return { minCapacity: capacity.minCapacity, maxCapacity: capacity.maxCapacity, desiredCapacity: capacity.pinDesired ? capacity.desiredCapacity : undefined };
}

/** Instances kept in service while a rolling update replaces the rest: all of them when the maximum allows a spare. */
function minInService(size: GroupSizes): number {
  const running = size.desiredCapacity ?? size.minCapacity;
  return size.maxCapacity > running ? running : Math.max(running - 1, 0);
}
