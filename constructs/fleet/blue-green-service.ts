import { Annotations, ArnFormat, CfnOutput, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, IConstruct } from 'constructs';
import { IImageResolver, ImageSource } from '../image/image-source';
import { Colour } from './colour';
import { ColourFleet, IColourFleet, ServingCapacity } from './colour-fleet';
import { ServiceHealthCheck } from './health-check';
import { resolveHealthCheck } from './private/health-check';
import { checkIntRange, checkSecondsRange, propError } from '../private/validate';
import { ReleaseGuard } from './release-guard';
import { ReleaseManifest } from './release-manifest';
import { sessionManagerPolicy } from './private/session-manager-policy';
import { WeightedTraffic } from './private/weighted-traffic';
import { RegionRole } from '../dr/region-role';
import { Healing } from '../healing/healing';
import { Quarantine } from '../healing/quarantine';
import { HookPoint } from '../hooks/hook-point';
import { ReleaseHook } from '../hooks/release-hook';
import {
  DisasterRecoveryDescriptor,
  descriptorParameterName,
  FeatureFlagsDescriptor,
  QUARANTINE_EXTEND_TAG_KEYS,
  RETAIN_TAG_KEY,
  RETAINED_BY_TAG_KEY,
  SERVICE_DESCRIPTOR_SCHEMA_VERSION,
  SERVICE_NAME,
  SERVICE_NAME_RULE,
  ServiceDescriptor,
} from '../../lib/contract';

/** Options of the test listener, which always forwards to the idle colour. */
export interface TestListenerOptions {
  /**
   * Port of the test listener; must differ from the production port (and from 80 when HTTPS redirects it).
   *
   * @default 8443 with certificates, 8080 without
   */
  readonly port?: number;
  /**
   * CIDR ranges that may reach the test listener.
   *
   * @default - none
   */
  readonly allowedCidrs?: string[];
  /**
   * Security groups that may reach the test listener (e.g. a pipeline's smoke-test runner).
   *
   * @default - none
   */
  readonly allowedSecurityGroups?: ec2.ISecurityGroup[];
}

/** Properties of a blue/green service. */
export interface BlueGreenServiceProps {
  /**
   * Name of the service: lower-case letters, digits and hyphens, starting with a letter, at most 32 characters.
   * The `bluegreen` CLI finds the service by this name.
   */
  readonly serviceName: string;
  /** Release manifest: which image each colour runs and its capacity mode. Its `service` must equal `serviceName`. */
  readonly manifest: ReleaseManifest;
  /**
   * Resolvers for manifest image references beyond `ami-...` and `ssm:...` (for example baked images).
   *
   * @default - none
   */
  readonly imageResolvers?: IImageResolver[];
  /**
   * The VPC. It needs subnets in at least two Availability Zones for the load balancer.
   *
   * @default - a new VPC with public and private subnets in two AZs, one NAT gateway and flow logs
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Availability Zones of the VPC the construct creates. Ignored when `vpc` is given.
   *
   * @default - the stack's first two AZs
   */
  readonly availabilityZones?: string[];
  /**
   * Subnets of the instances.
   *
   * @default - private subnets with egress
   */
  readonly instanceSubnets?: ec2.SubnetSelection;
  /**
   * Whether the load balancer is reachable from the internet.
   *
   * @default true
   */
  readonly internetFacing?: boolean;
  /**
   * CIDR ranges that may reach the production listener.
   *
   * @default - anywhere (0.0.0.0/0) when internet-facing; the VPC's CIDR otherwise
   */
  readonly allowedCidrs?: string[];
  /**
   * Certificates of the production (and test) listener. With them the listener is HTTPS and port 80 redirects to it.
   *
   * @default - plain HTTP, with a warning
   */
  readonly certificates?: elbv2.IListenerCertificate[];
  /**
   * TLS policy of the HTTPS listeners.
   *
   * @default elbv2.SslPolicy.RECOMMENDED_TLS
   */
  readonly sslPolicy?: elbv2.SslPolicy;
  /**
   * Port of the production listener.
   *
   * @default 443 with certificates, 80 without
   */
  readonly productionPort?: number;
  /**
   * The test listener.
   *
   * @default - port 8443 (HTTPS) or 8080 (HTTP), reachable by no one until allowed
   */
  readonly testListener?: TestListenerOptions;
  /**
   * Port the application listens on.
   *
   * @default 8080
   */
  readonly appPort?: number;
  /**
   * Instance type of both colours.
   *
   * @default t3.small
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * User data of the instances.
   *
   * @default - none
   */
  readonly userData?: ec2.UserData;
  /**
   * Minimum instances of a serving colour.
   *
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * Maximum instances of a colour. Keep one above `desiredCapacity` so a rolling update keeps full capacity.
   *
   * @default desiredCapacity + 1
   */
  readonly maxCapacity?: number;
  /**
   * Desired instances of a serving colour. Setting it pins DesiredCapacity in the template, which resets the
   * group's size on every deploy that touches it (undoing any scaling); leave it unset to start at `minCapacity`.
   *
   * @default - not pinned: the group starts at minCapacity
   */
  readonly desiredCapacity?: number;
  /**
   * Target group health check.
   *
   * @default - GET /health on the app port every 10 s, 5 s timeout, 2 to become healthy or unhealthy
   */
  readonly healthCheck?: ServiceHealthCheck;
  /**
   * Time the load balancer drains a target (0 to 3600 seconds). Short, because the old colour stays warm.
   *
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Ramp-up time of new targets (30 to 900 seconds).
   *
   * @default - no slow start
   */
  readonly slowStart?: Duration;
  /**
   * Time after launch before failed ELB health checks replace an instance (0 to 7200 seconds).
   *
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;
  /**
   * Root volume size in GiB (8 to 16384).
   *
   * @default 8
   */
  readonly rootVolumeSize?: number;
  /**
   * Key pair for SSH. Session Manager needs none.
   *
   * @default - no key pair
   */
  readonly keyPair?: ec2.IKeyPair;
  /**
   * Bucket for the load balancer's access logs (SSE-S3 encrypted, as ALB requires).
   *
   * @default - a new encrypted, SSL-only bucket that expires logs after 90 days
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * This Region's role in a disaster-recovery pair. A standby runs its serving colours at the mode's size (zero for
   * a pilot light, a percentage of the serving size for a warm standby) with `maxCapacity` kept, so a failover can
   * scale up. Add a `RegionalFailover` in each Region's stack for DNS failover.
   *
   * @default - a single Region: no standby
   */
  readonly disasterRecovery?: RegionRole;
  /**
   * How the colours heal when an instance fails its health checks: replace it (launching the replacement first),
   * or also keep a few sick instances in quarantine for investigation (`Healing.quarantine()`).
   *
   * @default Healing.replace()
   */
  readonly healing?: Healing;
  /**
   * Release hooks: Lambda functions and HTTPS webhooks run once per release at their points (expand migrations,
   * custom analysis, smoke tests, contract migrations). More can be added with `addReleaseHook()`.
   *
   * @default - none
   */
  readonly releaseHooks?: ReleaseHook[];
}

/**
 * A blue/green service, as alarms, dashboards, the automatic rollback and operator roles need it. Pass a
 * `BlueGreenService` from the same app; the monitoring constructs may live in another stack.
 */
export interface IBlueGreenService extends IConstruct, iam.IGrantable {
  /** The service name the `bluegreen` CLI finds the service by. */
  readonly serviceName: string;
  /** The load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Topic for fleet notifications and alarms. */
  readonly topic: sns.ITopic;
  /** SSM parameter with the service descriptor. */
  readonly descriptorParameter: ssm.IStringParameter;
  /** Table holding the release state. */
  readonly releaseStateTable: dynamodb.ITable;
  /** ARN of the listener rule whose weights carry live traffic. */
  readonly productionRuleArn: string;
  /** ARN of the listener rule that forwards the test listener to the idle colour. */
  readonly testRuleArn: string;
  /** Serving-size capacity of a colour. */
  readonly capacity: ServingCapacity;
  /** How the colours heal; with quarantine, each colour's gate includes a flapping alarm. */
  readonly healing: Healing;
  /** The release hooks declared on the service so far. */
  readonly releaseHooks: ReleaseHook[];

  /** The slot of `colour`. */
  colour(colour: Colour): IColourFleet;

  /**
   * Grant `lambda:InvokeFunction` on the functions of the service's Lambda release hooks at `point` (every point
   * when omitted), including hooks added after this call. Webhooks need no permission.
   *
   * @returns the grant of the hooks declared so far; a dropped grant when there is none yet
   */
  grantInvokeReleaseHooks(grantee: iam.IGrantable, point?: HookPoint): iam.Grant;

  /**
   * Grant what `bluegreen status` reads: the descriptor, the release record, the rules, target health, alarms and
   * the groups' sizes; with `FeatureFlags`, also what `bluegreen flags` reads (the flags environment's deployments
   * and the profile's versions), including for roles granted before the FeatureFlags was added. For operator roles
   * and dashboards of other tools.
   */
  grantStatus(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grant what the `bluegreen` release commands do (status, release, resume, promote, rollback, abort, scale-down,
   * sync-manifest, quarantine, approve, contract): everything `grantStatus` grants, plus changing the two rules'
   * weights, writing the release record, resizing the two colours' groups, tagging AMIs the colours run so the image
   * lifecycle keeps them, terminating or extending kept instances of the two groups, and invoking the functions of
   * the Lambda release hooks (also those added later); with `FeatureFlags` (also added later), what
   * `bluegreen flags set|kill` do: new hosted versions of the flags profile, deployments with its two strategies or
   * AppConfig.AllAtOnce, stopping them, and disabling and enabling the flags monitor's actions. For pipeline and
   * on-call roles.
   */
  grantRelease(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A blue/green service on EC2: one ALB, two colour slots (Auto Scaling group + target group each), a weighted
 * production route and a test route to the idle colour.
 *
 * `cdk deploy` never moves live traffic: the weights sit on listener rules whose template never changes after the
 * first deploy, and a release guard refuses deploys that would change the live colour's image or scale it down.
 *
 * @example
 * new BlueGreenService(this, 'Web', {
 *   serviceName: 'web',
 *   manifest: ReleaseManifest.fromFile('releases/web.json'),
 * });
 */
export class BlueGreenService extends Construct implements IBlueGreenService, ec2.IConnectable {
  /** The service name. */
  public readonly serviceName: string;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** The load balancer. */
  public readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Security group of the load balancer. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** Bucket with the load balancer's access logs. */
  public readonly accessLogsBucket: s3.IBucket;
  /** The production listener (HTTPS with certificates, HTTP otherwise). */
  public readonly productionListener: elbv2.ApplicationListener;
  /** The test listener, always forwarding to the idle colour. */
  public readonly testListener: elbv2.ApplicationListener;
  /** The catch-all rule whose weighted forward carries live traffic; owned by the release side after the first deploy. */
  public readonly productionRule: elbv2.ApplicationListenerRule;
  /** The catch-all rule forwarding the test listener to the idle colour; owned by the release side after the first deploy. */
  public readonly testRule: elbv2.ApplicationListenerRule;
  /** ARN of `productionRule`, whose weights carry live traffic. */
  public readonly productionRuleArn: string;
  /** ARN of `testRule`, which forwards the test listener to the idle colour. */
  public readonly testRuleArn: string;
  /** The blue slot. */
  public readonly blue: ColourFleet;
  /** The green slot. */
  public readonly green: ColourFleet;
  /** Role of both colours' instances. */
  public readonly instanceRole: iam.Role;
  /** The instance role's Session Manager policy (agent actions only, on `*`: they have no resource-level permissions). */
  public readonly sessionManagerPolicy: iam.Policy;
  /** Encrypted topic for fleet notifications and alarms. */
  public readonly topic: sns.ITopic;
  /** Refuses deploys that would undo a release. */
  public readonly releaseGuard: ReleaseGuard;
  /** SSM parameter with the service descriptor. */
  public readonly descriptorParameter: ssm.IStringParameter;
  /** Table holding the release state (one item per service), written with compare-and-set. */
  public readonly releaseStateTable: dynamodb.ITable;
  /** Serving-size capacity of a colour. */
  public readonly capacity: ServingCapacity;
  /** How the colours heal. */
  public readonly healing: Healing;
  /**
   * The quarantine: its function, rules, role and security group.
   *
   * @default - none: the service only replaces sick instances
   */
  public readonly quarantine?: Quarantine;
  /**
   * What the weighted rules route through: the load balancer's scheme, the VPC and the target groups' protocol and
   * port. Changing any of them replaces the load balancer or the target groups, and CloudFormation re-creates the
   * rules with their first-deploy weights, so the release guard refuses it.
   */
  public readonly routingIdentity: string;
  public readonly grantPrincipal: iam.IPrincipal;
  /** Both colours' instances, e.g. to admit them to a database. */
  public readonly connections: ec2.Connections;
  /**
   * This Region's role in a disaster-recovery pair.
   *
   * @default - a single Region
   */
  public readonly disasterRecovery?: RegionRole;
  /** Path of the target groups' health check, which failover probes ask too. */
  public readonly healthCheckPath: string;
  /** Port of the production listener. */
  public readonly productionPort: number;
  /** Protocol of the production listener: `HTTP`, or `HTTPS` with certificates. */
  public readonly productionProtocol: string;
  private readonly traffic: WeightedTraffic;
  private readonly loadBalancerFullName: string;
  private readonly hooks: ReleaseHook[] = [];
  /** Who may invoke the Lambda hooks (of one point, or all): applied to hooks added later too. */
  private readonly hookInvokers: Array<{ readonly grantee: iam.IGrantable; readonly point?: HookPoint }> = [];
  private disasterRecoverySection?: DisasterRecoveryDescriptor;
  private featureFlagsSection?: FeatureFlagsDescriptor;
  /** What the feature flags add to `grantStatus` and `grantRelease`, once registered. */
  private featureFlagGrants?: {
    readonly grantStatus: (grantee: iam.IGrantable) => iam.Grant;
    readonly grantRelease: (grantee: iam.IGrantable) => iam.Grant;
  };
  /** Who was given `grantStatus` / `grantRelease`: feature flags added later grant them too. */
  private readonly statusGrantees: iam.IGrantable[] = [];
  private readonly releaseGrantees: iam.IGrantable[] = [];

  constructor(scope: Construct, id: string, props: BlueGreenServiceProps) {
    super(scope, id);
    checkRegion(this);
    validateNames(props);
    this.serviceName = props.serviceName;
    this.disasterRecovery = props.disasterRecovery;
    this.healing = props.healing ?? Healing.replace();
    checkPeerRegion(this, props.disasterRecovery);
    this.capacity = regionCapacity(resolveCapacity(props), props.disasterRecovery);
    this.healthCheckPath = resolveHealthCheck(props.healthCheck).path;
    const appPort = props.appPort ?? 8080;
    checkIntRange('appPort', appPort, 1, 65535);
    checkSecondsRange('deregistrationDelay', props.deregistrationDelay, 0, 3600);
    checkSecondsRange('healthCheckGracePeriod', props.healthCheckGracePeriod, 0, 7200);
    checkIntRange('rootVolumeSize', props.rootVolumeSize, 8, 16384);
    if (props.slowStart && !props.slowStart.isUnresolved() && props.slowStart.toSeconds() !== 0) {
      checkSecondsRange('slowStart', props.slowStart, 30, 900);
    }

    this.vpc = props.vpc ?? this.createVpc(props.availabilityZones);
    const internetFacing = props.internetFacing ?? true;
    // The VPC as CloudFormation sees it: its logical id or imported id, so only a real replacement changes it.
    const vpcRef = JSON.stringify(Stack.of(this).resolve(this.vpc.vpcId));
    this.routingIdentity = `${internetFacing ? 'internet-facing' : 'internal'};vpc=${vpcRef};targets=HTTP:${appPort}`;
    const albSubnets = { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const instanceSubnets = props.instanceSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    checkSubnets(this.vpc, albSubnets, instanceSubnets, Boolean(props.vpc));

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `${props.serviceName} load balancer`,
      allowAllOutbound: false,
    });
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      vpcSubnets: albSubnets,
      internetFacing,
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.accessLogsBucket = props.accessLogsBucket ?? this.createAccessLogsBucket();
    loadBalancer.logAccessLogs(this.accessLogsBucket, props.serviceName);
    this.loadBalancer = loadBalancer;
    this.loadBalancerFullName = loadBalancer.loadBalancerFullName;

    this.topic = this.createTopic();
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${props.serviceName} instances (both colours)`,
    });
    this.sessionManagerPolicy = sessionManagerPolicy(this, 'SessionManagerPolicy');
    this.instanceRole.attachInlinePolicy(this.sessionManagerPolicy);
    this.grantPrincipal = this.instanceRole;

    const resolvers = props.imageResolvers ?? [];
    const fleet = (colour: Colour) => {
      const entry = props.manifest.colour(colour);
      return new ColourFleet(this, colour.id, {
        colour,
        serviceName: props.serviceName,
        vpc: this.vpc,
        vpcSubnets: instanceSubnets,
        image: ImageSource.fromManifestEntry(entry.image, resolvers, `${props.manifest.location}: ${colour.name}.image`),
        mode: entry.mode,
        capacity: this.capacity,
        instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
        role: this.instanceRole,
        loadBalancerSecurityGroup: this.loadBalancerSecurityGroup,
        appPort,
        healthCheck: props.healthCheck,
        deregistrationDelay: props.deregistrationDelay ?? Duration.seconds(30),
        slowStart: props.slowStart,
        healthCheckGracePeriod: props.healthCheckGracePeriod ?? Duration.minutes(5),
        notificationsTopic: this.topic,
        rootVolumeSize: props.rootVolumeSize ?? 8,
        userData: props.userData,
        keyPair: props.keyPair,
        healing: this.healing,
      });
    };
    this.blue = fleet(Colour.BLUE);
    this.green = fleet(Colour.GREEN);
    this.connections = new ec2.Connections({ securityGroups: [this.blue.securityGroup, this.green.securityGroup] });

    this.traffic = new WeightedTraffic(this, 'Traffic', {
      serviceName: props.serviceName,
      vpc: this.vpc,
      loadBalancer,
      blue: this.blue.targetGroup,
      green: this.green.targetGroup,
      certificates: props.certificates,
      sslPolicy: props.sslPolicy,
      productionPort: props.productionPort,
      allowedCidrs: props.allowedCidrs ?? (internetFacing ? ['0.0.0.0/0'] : [this.vpc.vpcCidrBlock]),
      test: props.testListener,
      internetFacing,
    });
    this.productionListener = this.traffic.productionListener;
    this.testListener = this.traffic.testListener;
    this.productionRule = this.traffic.productionRule;
    this.testRule = this.traffic.testRule;
    this.productionRuleArn = this.productionRule.listenerRuleArn;
    this.testRuleArn = this.testRule.listenerRuleArn;
    this.productionPort = this.traffic.production.port;
    this.productionProtocol = this.traffic.production.protocol;

    this.releaseStateTable = new dynamodb.Table(this, 'ReleaseState', {
      partitionKey: { name: 'service', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const descriptorName = descriptorParameterName(props.serviceName);
    this.releaseGuard = new ReleaseGuard(this, 'ReleaseGuard', {
      serviceName: props.serviceName,
      descriptorParameterName: descriptorName,
      fleets: [this.blue, this.green],
      routingIdentity: this.routingIdentity,
      quarantine: this.healing.quarantines,
    });
    this.descriptorParameter = new ssm.StringParameter(this, 'Descriptor', {
      parameterName: descriptorName,
      description: `cdk-bluegreen descriptor of ${props.serviceName} (schema ${SERVICE_DESCRIPTOR_SCHEMA_VERSION})`,
      stringValue: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.describe()) }),
      // Intelligent-Tiering: Standard (free, 4 KB) while the descriptor fits, Advanced (8 KB) only when a long service
      // or stack name with disaster recovery and quarantine makes it larger; the size is known only at deploy.
      tier: ssm.ParameterTier.INTELLIGENT_TIERING,
    });
    if (this.healing.quarantines) this.quarantine = new Quarantine(this, 'Quarantine', { service: this });
    this.releaseGuard.protect(this);
    // Images baked in this stack for this service wait for the guard too: a refused deploy should not bake first.
    for (const resolver of resolvers) {
      if (Construct.isConstruct(resolver) && Stack.of(resolver) === Stack.of(this)) {
        resolver.node.addDependency(this.releaseGuard.resource);
      }
    }
    for (const hook of props.releaseHooks ?? []) this.addReleaseHook(hook);
    this.addOutputs();
  }

  /** The release hooks declared on the service so far, in the order they were added. */
  public get releaseHooks(): ReleaseHook[] {
    return [...this.hooks];
  }

  /**
   * Add a release hook: it goes into the service descriptor, where the `bluegreen` CLI and the automatic rollback
   * find it. Roles given `grantRelease` (and an `AutoRollback`, for `ON_ROLLBACK` hooks) may invoke its function.
   *
   * @throws when another hook of the service has the same name
   */
  public addReleaseHook(hook: ReleaseHook): void {
    // A release of a DR pair drives one engine per Region; whether a migration runs once or in each Region is not
    // decided yet, and a hook that silently did not run would be worse than none.
    if (this.disasterRecovery) {
      throw propError(
        'addReleaseHook',
        hook.name,
        `cannot be added to service '${this.serviceName}', which has a disasterRecovery role: release hooks are not supported with a standby Region yet. Run the migration in the pipeline around 'bluegreen release'.`,
      );
    }
    if (this.hooks.some((h) => h.name === hook.name)) {
      throw propError('addReleaseHook name', hook.name, `is already a release hook of service '${this.serviceName}'; give each hook its own name.`);
    }
    this.hooks.push(hook);
    warnIfFunctionOutlastsHook(this, hook);
    for (const { grantee, point } of this.hookInvokers) {
      if (hook.function && (point === undefined || point === hook.point)) {
        iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [hook.function.functionArn] });
      }
    }
  }

  /** The slot of `colour`. */
  public colour(colour: Colour): IColourFleet {
    return colour === Colour.BLUE ? this.blue : this.green;
  }

  /**
   * Grant `lambda:InvokeFunction` on the functions of the Lambda release hooks at `point` (every point when
   * omitted), including hooks added after this call. Only the functions themselves (not their versions or aliases):
   * the hooks are invoked by the ARN the descriptor lists.
   *
   * @returns the grant of the hooks declared so far; a dropped grant when there is none yet
   */
  public grantInvokeReleaseHooks(grantee: iam.IGrantable, point?: HookPoint): iam.Grant {
    this.hookInvokers.push({ grantee, point });
    const functions = this.hooks.filter((h) => point === undefined || h.point === point).flatMap((h) => (h.function ? [h.function] : []));
    if (functions.length === 0) return iam.Grant.drop(grantee, 'invoke the release hooks\' functions (none yet)');
    return iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: functions.map((f) => f.functionArn) });
  }

  /**
   * Grant what `bluegreen status` reads: the descriptor, the release record, the rules, target health, alarms and
   * the groups' sizes; with `FeatureFlags` (also added later), what `bluegreen flags` reads.
   */
  public grantStatus(grantee: iam.IGrantable): iam.Grant {
    if (!this.statusGrantees.includes(grantee)) this.statusGrantees.push(grantee);
    const grants = [
      this.descriptorParameter.grantRead(grantee),
      this.releaseStateTable.grant(grantee, 'dynamodb:GetItem'),
      // These describe calls support no resource-level permissions; DescribeAlarms returns composite alarms (the
      // gates) only when allowed on `*`.
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth', 'cloudwatch:DescribeAlarms', 'autoscaling:DescribeAutoScalingGroups'],
        resourceArns: ['*'],
      }),
      // `bluegreen flags <svc>`: the flags environment's deployments and the profile's versions (FeatureFlags added
      // later grants them when it registers).
      ...(this.featureFlagGrants ? [this.featureFlagGrants.grantStatus(grantee)] : []),
    ];
    return grants.reduce((a, b) => a.combine(b));
  }

  /**
   * Grant what the `bluegreen` release commands do: everything `grantStatus` grants, plus changing the two rules'
   * weights, writing the release record, resizing the two colours' groups, tagging the AMIs the colours run (only
   * the retention tags) so the image lifecycle keeps them, what `bluegreen quarantine terminate|extend` do:
   * terminating an instance of the two groups and moving a kept instance's expiry tag, and invoking the functions
   * of the Lambda release hooks (only when the service has some; hooks added later are granted too), and with
   * `FeatureFlags` (also added later) what `bluegreen flags set|kill` do.
   */
  public grantRelease(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const groupArn = (f: ColourFleet) =>
      stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: `*:autoScalingGroupName/${f.autoScalingGroup.autoScalingGroupName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const grants = [
      this.grantStatus(grantee),
      this.releaseStateTable.grant(grantee, 'dynamodb:PutItem'),
      iam.Grant.addToPrincipal({ grantee, actions: ['elasticloadbalancing:ModifyRule'], resourceArns: [this.productionRuleArn, this.testRuleArn] }),
      iam.Grant.addToPrincipal({ grantee, actions: ['autoscaling:UpdateAutoScalingGroup'], resourceArns: [groupArn(this.blue), groupArn(this.green)] }),
      // AMI retention: DescribeImages has no resource-level permissions; tags are limited to the retention keys.
      iam.Grant.addToPrincipal({ grantee, actions: ['ec2:DescribeImages'], resourceArns: ['*'] }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resourceArns: [stack.formatArn({ service: 'ec2', account: '', resource: 'image', resourceName: '*' })],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [RETAIN_TAG_KEY, RETAINED_BY_TAG_KEY] } },
      }),
      // `bluegreen quarantine terminate`: an instance of the two groups (kept instances are Retained in them).
      iam.Grant.addToPrincipal({ grantee, actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'], resourceArns: [groupArn(this.blue), groupArn(this.green)] }),
      // `bluegreen quarantine extend`: only the expiry tag, only on the service's instances. DescribeInstances
      // supports no resource-level permissions.
      iam.Grant.addToPrincipal({ grantee, actions: ['ec2:DescribeInstances'], resourceArns: ['*'] }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['ec2:CreateTags'],
        resourceArns: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: {
          StringEquals: { 'aws:ResourceTag/bluegreen:service': this.serviceName },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [...QUARANTINE_EXTEND_TAG_KEYS] },
        },
      }),
      // The CLI runs the Lambda release hooks (and `bluegreen contract` the contract ones).
      this.grantInvokeReleaseHooks(grantee),
      // `bluegreen flags set|kill` (FeatureFlags added later grants them when it registers).
      ...(this.featureFlagGrants ? [this.featureFlagGrants.grantRelease(grantee)] : []),
    ];
    if (!this.releaseGrantees.includes(grantee)) this.releaseGrantees.push(grantee);
    return grants.reduce((a, b) => a.combine(b));
  }

  /**
   * Record this Region's half of a disaster-recovery pair in the descriptor (`disasterRecovery`). Called once by
   * the `RegionalFailover` of the service.
   *
   * @internal
   */
  public _registerDisasterRecovery(section: DisasterRecoveryDescriptor): void {
    if (this.disasterRecoverySection) {
      throw new Error(`BlueGreenService ${this.node.path}: it already has a RegionalFailover; a service takes one per Region.`);
    }
    this.disasterRecoverySection = section;
  }

  /**
   * Record the service's feature flags in the descriptor (`featureFlags`) and extend `grantStatus` and
   * `grantRelease` to what `bluegreen flags` reads and changes, also for roles granted before. Called once by the
   * `FeatureFlags` of the service.
   *
   * @internal
   */
  public _registerFeatureFlags(
    section: FeatureFlagsDescriptor,
    grants: { readonly grantStatus: (grantee: iam.IGrantable) => iam.Grant; readonly grantRelease: (grantee: iam.IGrantable) => iam.Grant },
  ): void {
    if (this.featureFlagsSection) {
      throw new Error(`BlueGreenService ${this.node.path}: it already has FeatureFlags; a service takes one per Region (one AppConfig application bluegreen-${this.serviceName}).`);
    }
    this.featureFlagsSection = section;
    this.featureFlagGrants = grants;
    // grantRelease includes grantStatus: each grantee gets one or the other.
    for (const grantee of this.statusGrantees) if (!this.releaseGrantees.includes(grantee)) grants.grantStatus(grantee);
    for (const grantee of this.releaseGrantees) grants.grantRelease(grantee);
  }

  /** The descriptor published to SSM (tokens resolve at deploy). */
  private describe(): ServiceDescriptor {
    const stack = Stack.of(this);
    const colour = (f: ColourFleet) => ({
      targetGroupArn: f.targetGroup.targetGroupArn,
      targetGroupFullName: f.targetGroupFullName,
      autoScalingGroupName: f.autoScalingGroup.autoScalingGroupName,
      launchTemplateId: f.launchTemplate.launchTemplateId ?? '',
      image: f.imageFingerprint,
      imageId: f.imageId,
      mode: f.mode.name,
      alarms: f.alarms,
    });
    return {
      schemaVersion: SERVICE_DESCRIPTOR_SCHEMA_VERSION,
      service: this.serviceName,
      region: stack.region,
      stackName: stack.stackName,
      loadBalancer: {
        arn: this.loadBalancer.loadBalancerArn,
        fullName: this.loadBalancerFullName,
        dnsName: this.loadBalancer.loadBalancerDnsName,
      },
      production: this.traffic.production,
      test: this.traffic.test,
      topicArn: this.topic.topicArn,
      releaseStateTable: this.releaseStateTable.tableName,
      routingIdentity: this.routingIdentity,
      capacity: { min: this.capacity.minCapacity, max: this.capacity.maxCapacity, desired: this.capacity.desiredCapacity },
      colours: { blue: colour(this.blue), green: colour(this.green) },
      ...(this.disasterRecoverySection ? { disasterRecovery: this.disasterRecoverySection } : {}),
      ...(this.featureFlagsSection ? { featureFlags: this.featureFlagsSection } : {}),
      ...(this.quarantine
        ? {
            healing: {
              quarantine: this.healing._descriptor({
                securityGroupId: this.quarantine.securityGroup.securityGroupId,
                evidenceBucket: this.accessLogsBucket.bucketName,
                evidencePrefix: this.quarantine.evidencePrefix,
              }),
            },
          }
        : {}),
      ...(this.hooks.length ? { releaseHooks: this.hooks.map((h) => h._descriptor()) } : {}),
    };
  }

  /** Grant `grantee` read access to the descriptor (what the `bluegreen` CLI needs to find the service). */
  public grantReadDescriptor(grantee: iam.IGrantable): iam.Grant {
    return this.descriptorParameter.grantRead(grantee);
  }

  /** Grant `grantee` read and write access to the release state. */
  public grantReleaseState(grantee: iam.IGrantable): iam.Grant {
    return this.releaseStateTable.grantReadWriteData(grantee);
  }

  private createVpc(availabilityZones?: string[]): ec2.Vpc {
    const create = () =>
      new ec2.Vpc(this, 'Vpc', {
        ...(availabilityZones ? { availabilityZones } : { maxAzs: 2 }),
        natGateways: 1,
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
        flowLogs: { FlowLogs: { trafficType: ec2.FlowLogTrafficType.REJECT } },
      });
    return availabilityZones ? withStackAvailabilityZones(Stack.of(this), availabilityZones, create) : create();
  }

  private createAccessLogsBucket(): s3.Bucket {
    return new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private createTopic(): sns.Topic {
    const key = new kms.Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: `${this.serviceName} fleet notifications`,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Auto Scaling publishes through its service-linked role, which may not exist yet when the key is created:
    // name it by condition, not as a principal, so the key policy is valid in a fresh account.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:PrincipalAccount': Stack.of(this).account },
          ArnLike: { 'aws:PrincipalArn': `arn:${Stack.of(this).partition}:iam::${Stack.of(this).account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling*` },
        },
      }),
    );
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:GenerateDataKey*', 'kms:Decrypt');
    return new sns.Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: `${this.serviceName} fleet` });
  }

  private addOutputs() {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('LoadBalancerDnsName', this.loadBalancer.loadBalancerDnsName, 'DNS name of the load balancer');
    out('DescriptorParameterName', this.descriptorParameter.parameterName, 'SSM parameter with the service descriptor');
    out('ProductionRuleArn', this.traffic.production.ruleArn, 'Rule whose weights carry live traffic');
    out('TestRuleArn', this.traffic.test.ruleArn, 'Rule forwarding the test listener to the idle colour');
    for (const f of [this.blue, this.green]) {
      out(`${f.colour.id}TargetGroupArn`, f.targetGroup.targetGroupArn, `Target group of ${f.colour.name}`);
      out(`${f.colour.id}AutoScalingGroupName`, f.autoScalingGroup.autoScalingGroupName, `Auto Scaling group of ${f.colour.name}`);
    }
  }
}

/**
 * Warn when a Lambda hook's function may run longer than the hook's timeout: the release stops waiting at the
 * timeout and may start the next attempt while the first still runs.
 */
function warnIfFunctionOutlastsHook(service: Construct, hook: ReleaseHook): void {
  const fnTimeout = hook.function instanceof lambda.Function ? hook.function.timeout : undefined;
  if (!fnTimeout || fnTimeout.isUnresolved() || hook.timeout.isUnresolved()) return;
  if (fnTimeout.toMilliseconds() > hook.timeout.toMilliseconds()) {
    Annotations.of(service).addWarningV2(
      'cdk-bluegreen:hookTimeoutShorterThanFunction',
      `Release hook '${hook.name}': its function may run ${fnTimeout.toHumanString()}, longer than the hook's timeout (${hook.timeout.toHumanString()}); ` +
        'a timed-out attempt may still be running when the next starts. Give the hook a timeout at least as long as the function\'s.',
    );
  }
}

/**
 * Run `create` while the stack reports `availabilityZones` as its own.
 *
 * ec2.Vpc checks given AZs against `stack.availabilityZones`, which in a stack with an account and a Region is a
 * context lookup: an offline synth would stop with "Need to perform AWS calls" although the user named the AZs.
 * This is the workaround aws-cdk documents (overriding the stack's `availabilityZones`), scoped to the one
 * constructor call and undone afterwards, so nothing else in the user's stack sees it (aws/aws-cdk#21690).
 */
function withStackAvailabilityZones<T>(stack: Stack, availabilityZones: string[], create: () => T): T {
  const own = Object.getOwnPropertyDescriptor(stack, 'availabilityZones');
  Object.defineProperty(stack, 'availabilityZones', { get: () => availabilityZones, configurable: true });
  try {
    return create();
  } finally {
    if (own) Object.defineProperty(stack, 'availabilityZones', own);
    else delete (stack as { availabilityZones?: string[] }).availabilityZones;
  }
}

/**
 * The service needs its Region at synth (ALB access logs are delivered to a Region's log account; images and the
 * descriptor are per Region). aws-cdk-lib would fail deep inside with "Region is required to enable ELBv2 access
 * logging": say what to change instead.
 */
function checkRegion(service: Construct) {
  const stack = Stack.of(service);
  if (Token.isUnresolved(stack.region)) {
    throw new Error(
      `BlueGreenService ${service.node.path}: stack '${stack.stackName}' has no Region (an environment-agnostic stack). ` +
        "Give the stack an explicit Region, e.g. new Stack(app, 'Shop', { env: { region: 'eu-west-1' } }); the account may stay unset.",
    );
  }
}

function validateNames(props: BlueGreenServiceProps) {
  if (!Token.isUnresolved(props.serviceName) && !SERVICE_NAME.test(props.serviceName)) {
    throw propError('serviceName', props.serviceName, `${SERVICE_NAME_RULE}.`);
  }
  if (props.manifest.service !== props.serviceName) {
    throw propError(
      'manifest',
      props.manifest.service,
      `must be the manifest of service '${props.serviceName}': set "service": "${props.serviceName}" in the ${props.manifest.location} or pass that service's manifest.`,
    );
  }
}

function resolveCapacity(props: BlueGreenServiceProps): ServingCapacity {
  const min = props.minCapacity ?? 2;
  const desired = props.desiredCapacity ?? min;
  const max = props.maxCapacity ?? desired + 1;
  checkIntRange('minCapacity', min, 1, 10000);
  checkIntRange('maxCapacity', max, 1, 10000);
  checkIntRange('desiredCapacity', desired, 1, 10000);
  if (![min, max, desired].some((v) => Token.isUnresolved(v))) {
    if (min > max) {
      throw propError('minCapacity', min, `must not exceed maxCapacity (${max}); lower minCapacity or raise maxCapacity.`);
    }
    if (desired < min || desired > max) {
      throw propError('desiredCapacity', desired, `must be within [minCapacity, maxCapacity] = [${min}, ${max}].`);
    }
  }
  return { minCapacity: min, maxCapacity: max, desiredCapacity: desired, pinDesired: props.desiredCapacity !== undefined };
}

/** A pair needs two Regions: the peer named by the role must not be the stack's own. */
function checkPeerRegion(service: Construct, role: RegionRole | undefined) {
  const region = Stack.of(service).region;
  if (role && role.peerRegion === region) {
    throw propError(
      `disasterRecovery ${role.peerProp}`,
      role.peerRegion,
      `must differ from the stack's own Region (${region}): a ${role.name} and its ${role.isPrimary ? 'standby' : 'primary'} live in two Regions; name the other Region.`,
    );
  }
}

/**
 * A standby's serving size: zero for a pilot light, the mode's percentage of the desired size (rounded up, at least
 * one) for a warm standby; the maximum stays the configured one so a failover can scale up. DesiredCapacity is
 * never pinned in a standby: a pinned size would reset a failed-over standby at its next deploy.
 */
function regionCapacity(capacity: ServingCapacity, role: RegionRole | undefined): ServingCapacity {
  if (!role || role.isPrimary) return capacity;
  const mode = role.standbyMode;
  if (Token.isUnresolved(capacity.desiredCapacity)) {
    throw propError('desiredCapacity', capacity.desiredCapacity, 'must be a literal number in a standby Region: its size is a percentage of it.');
  }
  const size = mode.capacityPercent === 0 ? 0 : Math.max(1, Math.ceil((capacity.desiredCapacity * mode.capacityPercent) / 100));
  return { minCapacity: size, desiredCapacity: size, maxCapacity: capacity.maxCapacity, pinDesired: false };
}

function checkSubnets(vpc: ec2.IVpc, albSubnets: ec2.SubnetSelection, instanceSubnets: ec2.SubnetSelection, given: boolean) {
  const prop = given ? 'vpc' : 'availabilityZones';
  const azsOf = (selection: ec2.SubnetSelection, what: string) => {
    try {
      return new Set(vpc.selectSubnets(selection).availabilityZones);
    } catch (e) {
      throw propError(prop, vpc.node.path, `has no subnets for the ${what} (${(e as Error).message}); add them to the VPC.`);
    }
  };
  const albAzs = azsOf(albSubnets, 'load balancer');
  if (albAzs.size < 2) {
    throw propError(prop, [...albAzs], `needs load balancer subnets in at least two Availability Zones; found ${albAzs.size}.`);
  }
  if (azsOf(instanceSubnets, 'instances').size < 1) {
    throw propError(prop, vpc.node.path, 'has no subnets for the instances; add private subnets with egress or set instanceSubnets.');
  }
}
