/**
 * What a deployed `BlueGreenService` leaves in an account, built with the SDK against moto, plus levers for what
 * moto does not simulate (alarm evaluation, failing health checks).
 *
 * moto 5.2 facts the levers work around (see the report in adapters.test.ts):
 * - No PutCompositeAlarm: the gate `<svc>-<colour>-gate` is a metric alarm standing in for the composite. The
 *   gate adapter matches alarms by name and asks for both types, so it reads it the same way.
 * - No alarm evaluation: alarms stay INSUFFICIENT_DATA until `setAlarmState`.
 * - Targets are always `healthy` while their instance runs; a stopped instance reports `unused`
 *   (Target.InvalidState), a deregistered one disappears from DescribeTargetHealth.
 * - Scaling an ASG in terminates instances but leaves them registered, still reported `healthy`; real ALB drains
 *   and drops them. `pruneTerminatedTargets` does what ALB would.
 */
import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateDeploymentStrategyCommand,
  CreateEnvironmentCommand,
  CreateHostedConfigurationVersionCommand,
} from '@aws-sdk/client-appconfig';
import { AutoScalingClient, CreateAutoScalingGroupCommand, PutLifecycleHookCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand, StateValue } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  Action,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BucketLocationConstraint, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  declaredFeatureFlagProfile,
  descriptorParameterName,
  DisasterRecoveryDescriptor,
  FEATURE_FLAG_NAMES,
  FeatureFlagDeclaration,
  featureFlagApplicationName,
  FeatureFlagsDescriptor,
  IMAGE_TAG_KEY,
  QUARANTINE_DEFAULT_RETENTION_SECONDS,
  QUARANTINE_HOOK_NAME,
  QuarantineDescriptor,
  ReleaseHookDescriptor,
  renderFeatureFlagProfile,
  ServiceDescriptor,
  TrafficRouteDescriptor,
  VERSION_TAG_KEY,
} from '../../lib/contract';
import { AwsClients, createAwsClients } from '../../lib/aws';
import { COLOUR_NAMES, ColourName, Weights } from '../../lib/release/ports';
import { MOTO_ACCOUNT, MOTO_REGION } from './moto-process';

/** An AMI that moto ships. */
export const FIXTURE_AMI = 'ami-12c6146b';

/**
 * What green's last deploy put on it, as the descriptor records it: a bake of `web` (the harness's manifest stages
 * `baked:web` on green), whose AMI is FIXTURE_AMI, tagged as a BakedImage tags its AMIs.
 */
export const FIXTURE_GREEN_IMAGE = 'baked:web@1.0.0';

/** The `bluegreen:image` tag of FIXTURE_AMI (a BakedImage's resource name). */
export const FIXTURE_IMAGE_TAG = 'fixture-web';

/** The `gradual` strategy the fixture creates (`flags set --gradual`): linear 20 %, over 10 minutes, 5 minutes' bake. */
export const FIXTURE_GRADUAL_STRATEGY = { growthFactor: 20, durationMinutes: 10, bakeMinutes: 5 } as const;

/** Options of `createServiceFixture`. */
export interface ServiceFixtureOptions {
  /**
   * Service name.
   *
   * @default 'shop'
   */
  readonly service?: string;
  /**
   * Serving capacity of each colour.
   *
   * @default { min: 2, max: 4, desired: 2 }
   */
  readonly capacity?: { readonly min: number; readonly max: number; readonly desired: number };
  /**
   * Clients to build with.
   *
   * @default - new clients from the environment (call after the moto env is applied)
   */
  readonly clients?: AwsClients;
  /**
   * Region to build in (moto keeps Regions apart by the request's signature, so two Regions share one server).
   *
   * @default MOTO_REGION
   */
  readonly region?: string;
  /**
   * The descriptor's `disasterRecovery` section.
   *
   * @default - none
   */
  readonly disasterRecovery?: DisasterRecoveryDescriptor;
  /**
   * Deploy it with `healing: Healing.quarantine()`: the termination lifecycle hook on both groups, a quarantine
   * security group, the log bucket and the topic, and the descriptor's `healing.quarantine` section (these values
   * over the construct's defaults).
   *
   * @default - no quarantine
   */
  readonly quarantine?: Partial<QuarantineDescriptor>;
  /**
   * The descriptor's `releaseHooks`, as `BlueGreenService.addReleaseHook` lists them (moto has nothing to create for
   * them: a Lambda hook's function is stood in for by the test, a webhook is served by it).
   *
   * @default - none
   */
  readonly releaseHooks?: readonly ReleaseHookDescriptor[];
  /**
   * Deploy it with feature flags, as `cdk deploy` leaves them: in moto the application `bluegreen-<service>`, its
   * feature-flag profile and one hosted version with `flags` at their defaults (the declared version; nothing is
   * deployed), the monitor alarm `<service>-feature-flags-monitor` (a metric alarm standing in for the composite,
   * state OK); in the AppConfig stand-in the environment `live` (monitored by that alarm) and the `gradual`
   * (FIXTURE_GRADUAL_STRATEGY) and `kill` (linear 100 %, 0 minutes, no bake) strategies; and the descriptor's
   * `featureFlags` section. Needs the stand-in running with its env applied (`useAppConfigStandIn`) before the
   * clients are created.
   *
   * @default - no feature flags
   */
  readonly featureFlags?: { readonly flags: readonly FeatureFlagDeclaration[] };
}

/** What `featureFlags` created: the descriptor's section plus the monitor alarm's ARN. */
export interface FixtureFeatureFlags extends FeatureFlagsDescriptor {
  readonly monitorAlarmArn: string;
}

/** Resources of one colour. */
export interface FixtureColour {
  readonly targetGroupArn: string;
  readonly autoScalingGroupName: string;
  readonly launchTemplateId: string;
  /** Gate alarm (a metric alarm standing in for the composite). */
  readonly gateAlarm: string;
  /** Metric alarms. */
  readonly errorRateAlarm: string;
  readonly latencyAlarm: string;
}

/** A deployed-looking service in moto. */
export interface ServiceFixture {
  readonly service: string;
  /** What is in SSM. */
  readonly descriptor: ServiceDescriptor;
  /** The clients the fixture uses (its own call counter, separate from the code under test). */
  readonly clients: AwsClients;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly colours: { readonly blue: FixtureColour; readonly green: FixtureColour };
  /** Its feature flags' resources (with the `featureFlags` option). */
  readonly featureFlags?: FixtureFeatureFlags;

  /** Raw weights of a route, read with DescribeRules (independent of the adapter under test). */
  weights(route?: 'production' | 'test'): Promise<Weights>;
  /** Set a route's weights with a raw ModifyRule, e.g. to stage an interrupted release or a hand edit. */
  setWeights(route: 'production' | 'test', weights: Weights): Promise<void>;
  /** SetAlarmState on any alarm. */
  setAlarmState(alarmName: string, state: StateValue, reason?: string): Promise<void>;
  /** SetAlarmState on the colour's gate alarm. */
  setGateState(colour: ColourName, state: StateValue): Promise<void>;
  /** IDs of the colour's running or stopped instances, from EC2 (tag aws:autoscaling:groupName). */
  instanceIds(colour: ColourName): Promise<string[]>;
  /** Stop the colour's instances: moto then reports its targets `unused` (Target.InvalidState), so healthy 0 of N. */
  makeUnhealthy(colour: ColourName): Promise<void>;
  /** Start the colour's stopped instances again: back to `healthy`. */
  makeHealthy(colour: ColourName): Promise<void>;
  /** Scale the colour to standby (min, max, desired 0) and drop its terminated targets, as ALB would. */
  scaleToZero(colour: ColourName): Promise<void>;
  /** Deregister targets whose instance is terminated (moto keeps them, reported healthy). */
  pruneTerminatedTargets(colour?: ColourName): Promise<void>;
}

/** Build the fixture: about 0.3 s on a warm moto, 2-3 s for the first one (moto imports each service lazily). */
export async function createServiceFixture(options: ServiceFixtureOptions = {}): Promise<ServiceFixture> {
  const service = options.service ?? 'shop';
  const capacity = options.capacity ?? { min: 2, max: 4, desired: 2 };
  const region = options.region ?? MOTO_REGION;
  const clients = options.clients ?? createAwsClients(options.region ? { region } : {});
  const network = await createNetwork(clients, service, region);
  const [lb, blue, green, releaseStateTable] = await Promise.all([
    createLoadBalancer(clients, service, network),
    createColour(clients, service, 'blue', network, capacity),
    createColour(clients, service, 'green', network, capacity),
    createStateTable(clients, service),
  ]);
  const colours = { blue, green };
  const groups = groupsOf(colours);
  const [production, test] = await Promise.all([
    createRoute(clients, lb.arn, 80, groups, { blue: 100, green: 0 }),
    createRoute(clients, lb.arn, 8080, groups, { blue: 0, green: 100 }),
    tagAsBake(clients),
  ]);
  const base = descriptorOf(service, region, lb, production, test, releaseStateTable, capacity, colours);
  const healing = options.quarantine ? { quarantine: await createQuarantine(clients, service, region, network, colours, options.quarantine) } : undefined;
  const featureFlags = options.featureFlags ? await createFeatureFlagResources(clients, service, options.featureFlags.flags) : undefined;
  const descriptor = {
    ...base,
    ...(featureFlags ? { featureFlags: featureFlagsSection(featureFlags) } : {}),
    ...(options.disasterRecovery ? { disasterRecovery: options.disasterRecovery } : {}),
    ...(healing ? { healing } : {}),
    ...(options.releaseHooks ? { releaseHooks: options.releaseHooks } : {}),
  };
  await clients.get(SSMClient).send(
    new PutParameterCommand({ Name: descriptorParameterName(service), Type: 'String', Value: JSON.stringify(descriptor), Overwrite: true }),
  );
  return levers({ service, descriptor, clients, ...network, colours, ...(featureFlags ? { featureFlags } : {}) });
}

/**
 * What a BlueGreenService with feature flags leaves after `cdk deploy` (the `featureFlags` option; exported so a test
 * can give each case a fresh set beside one fixture): moto holds the application, the profile and the declared
 * version (and the monitor alarm); the AppConfig stand-in the environment and the strategies.
 */
export async function createFeatureFlagResources(clients: AwsClients, service: string, flags: readonly FeatureFlagDeclaration[]): Promise<FixtureFeatureFlags> {
  const appconfig = clients.get(AppConfigClient);
  const cloudwatch = clients.get(CloudWatchClient);
  const monitorAlarmName = `${service}-feature-flags-monitor`;
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: monitorAlarmName,
      AlarmDescription: `${service}: either colour's gate in ALARM (a metric alarm standing in for the composite)`,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
  // OK explicitly: a monitor in INSUFFICIENT_DATA rolls every deployment back.
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: monitorAlarmName, StateValue: 'OK', StateReason: 'fixture: healthy' }));
  const alarms = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [monitorAlarmName], AlarmTypes: ['MetricAlarm'] }));
  const monitorAlarmArn = alarms.MetricAlarms?.[0]?.AlarmArn ?? fail('DescribeAlarms did not find the monitor alarm');

  const app = await appconfig.send(new CreateApplicationCommand({ Name: featureFlagApplicationName(service) }));
  const applicationId = app.Id ?? fail('CreateApplication returned no id');
  const profile = await appconfig.send(
    new CreateConfigurationProfileCommand({ ApplicationId: applicationId, Name: FEATURE_FLAG_NAMES.PROFILE, LocationUri: 'hosted', Type: 'AWS.AppConfig.FeatureFlags' }),
  );
  const profileId = profile.Id ?? fail('CreateConfigurationProfile returned no id');
  const version = await appconfig.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
      Content: new TextEncoder().encode(renderFeatureFlagProfile(declaredFeatureFlagProfile({ flags }))),
      ContentType: 'application/json',
      Description: 'cdk deploy: the declared flags at their defaults',
    }),
  );
  const declaredVersion = String(version.VersionNumber ?? fail('CreateHostedConfigurationVersion returned no version'));

  const standIn = (e: unknown): never =>
    fail(`${(e as Error).message}: featureFlags needs the AppConfig stand-in (useAppConfigStandIn, or AWS_ENDPOINT_URL_APPCONFIG pointing at it) before the clients are created`);
  const environment = await appconfig
    .send(new CreateEnvironmentCommand({ ApplicationId: applicationId, Name: FEATURE_FLAG_NAMES.ENVIRONMENT, Monitors: [{ AlarmArn: monitorAlarmArn }] }))
    .catch(standIn);
  const [gradual, kill] = await Promise.all([
    appconfig.send(
      new CreateDeploymentStrategyCommand({
        Name: `${service}-flags-gradual`,
        GrowthType: 'LINEAR',
        GrowthFactor: FIXTURE_GRADUAL_STRATEGY.growthFactor,
        DeploymentDurationInMinutes: FIXTURE_GRADUAL_STRATEGY.durationMinutes,
        FinalBakeTimeInMinutes: FIXTURE_GRADUAL_STRATEGY.bakeMinutes,
        ReplicateTo: 'NONE',
      }),
    ),
    appconfig.send(
      new CreateDeploymentStrategyCommand({
        Name: `${service}-flags-kill`,
        GrowthType: 'LINEAR',
        GrowthFactor: 100,
        DeploymentDurationInMinutes: 0,
        FinalBakeTimeInMinutes: 0,
        ReplicateTo: 'NONE',
      }),
    ),
  ]);
  return {
    applicationId,
    environmentId: environment.Id ?? fail('CreateEnvironment returned no id'),
    profileId,
    declaredVersion,
    gradualStrategyId: gradual.Id ?? fail('CreateDeploymentStrategy returned no id'),
    killStrategyId: kill.Id ?? fail('CreateDeploymentStrategy returned no id'),
    monitorAlarmName,
    monitorAlarmArn,
  };
}

/** The descriptor's section (without the fixture's extras). */
export function featureFlagsSection(f: FixtureFeatureFlags): FeatureFlagsDescriptor {
  const { monitorAlarmArn: _arn, ...section } = f;
  return section;
}

interface Network {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
}

async function createNetwork(clients: AwsClients, service: string, region: string): Promise<Network> {
  const vpc = await clients.get(EC2Client).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? fail('CreateVpc returned no id');
  const subnetIds: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const s = await clients.get(EC2Client).send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `${region}${az}` }),
    );
    subnetIds.push(s.Subnet?.SubnetId ?? fail('CreateSubnet returned no id'));
  }
  const sg = await clients.get(EC2Client).send(
    new CreateSecurityGroupCommand({ GroupName: `${service}-sg`, Description: `${service} load balancer and instances`, VpcId: vpcId }),
  );
  return { vpcId, subnetIds, securityGroupId: sg.GroupId ?? fail('CreateSecurityGroup returned no id') };
}

/**
 * What `Healing.quarantine()` adds: the hook on both groups (moto records it; it never fires it), the quarantine
 * group (no inbound rule), the service's log bucket and its topic.
 */
async function createQuarantine(
  clients: AwsClients,
  service: string,
  region: string,
  network: Network,
  colours: { blue: FixtureColour; green: FixtureColour },
  overrides: Partial<QuarantineDescriptor>,
): Promise<QuarantineDescriptor> {
  const hookName = overrides.hookName ?? QUARANTINE_HOOK_NAME;
  const hookTimeoutSeconds = overrides.hookTimeoutSeconds ?? 300;
  const sg = await clients.get(EC2Client).send(
    new CreateSecurityGroupCommand({ GroupName: `${service}-quarantine`, Description: `${service} quarantined instances: no inbound`, VpcId: network.vpcId }),
  );
  const evidenceBucket = overrides.evidenceBucket ?? `${service}-access-logs`;
  await Promise.all([
    clients.get(S3Client).send(new CreateBucketCommand({ Bucket: evidenceBucket, CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } })),
    clients.get(SNSClient).send(new CreateTopicCommand({ Name: `${service}-notifications` })),
    ...Object.values(colours).map((c) =>
      clients.get(AutoScalingClient).send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: c.autoScalingGroupName,
          LifecycleHookName: hookName,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          DefaultResult: 'CONTINUE',
          HeartbeatTimeout: hookTimeoutSeconds,
        }),
      ),
    ),
  ]);
  return {
    keepPerColour: 1,
    keepPerService: 2,
    retentionSeconds: QUARANTINE_DEFAULT_RETENTION_SECONDS,
    snapshots: false,
    flappingReplacements: 3,
    flappingWindowSeconds: 900,
    securityGroupId: sg.GroupId ?? fail('CreateSecurityGroup returned no id'),
    evidencePrefix: `quarantine/${service}/`,
    ...overrides,
    hookName,
    hookTimeoutSeconds,
    evidenceBucket,
  };
}

interface LoadBalancer {
  readonly arn: string;
  readonly dnsName: string;
}

async function createLoadBalancer(clients: AwsClients, service: string, network: Network): Promise<LoadBalancer> {
  const out = await clients.get(ElasticLoadBalancingV2Client).send(
    new CreateLoadBalancerCommand({
      Name: `${service}-alb`,
      Type: 'application',
      Scheme: 'internet-facing',
      Subnets: [...network.subnetIds],
      SecurityGroups: [network.securityGroupId],
    }),
  );
  const lb = out.LoadBalancers?.[0];
  return { arn: lb?.LoadBalancerArn ?? fail('CreateLoadBalancer returned no ARN'), dnsName: lb?.DNSName ?? '' };
}

async function createColour(
  clients: AwsClients,
  service: string,
  colour: ColourName,
  network: Network,
  capacity: { readonly min: number; readonly max: number; readonly desired: number },
): Promise<FixtureColour> {
  const name = `${service}-${colour}`;
  const tg = await clients.get(ElasticLoadBalancingV2Client).send(
    new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: network.vpcId, TargetType: 'instance', HealthCheckPath: '/health' }),
  );
  const targetGroupArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? fail('CreateTargetGroup returned no ARN');
  const lt = await clients.get(EC2Client).send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: FIXTURE_AMI, InstanceType: 't3.micro', SecurityGroupIds: [network.securityGroupId] },
    }),
  );
  const launchTemplateId = lt.LaunchTemplate?.LaunchTemplateId ?? fail('CreateLaunchTemplate returned no id');
  await clients.get(AutoScalingClient).send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
      MinSize: capacity.min,
      MaxSize: capacity.max,
      DesiredCapacity: capacity.desired,
      VPCZoneIdentifier: network.subnetIds.join(','),
      TargetGroupARNs: [targetGroupArn],
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 60,
      // As the construct's Tags.of(fleet) does: the group propagates them to its instances.
      Tags: [
        { Key: 'bluegreen:service', Value: service, PropagateAtLaunch: true },
        { Key: 'bluegreen:colour', Value: colour, PropagateAtLaunch: true },
      ],
    }),
  );
  const alarms = await createAlarms(clients, name, targetGroupArn);
  return { targetGroupArn, autoScalingGroupName: name, launchTemplateId, ...alarms };
}

async function createAlarms(clients: AwsClients, prefix: string, targetGroupArn: string) {
  const dimensions = [{ Name: 'TargetGroup', Value: targetGroupFullName(targetGroupArn) }];
  const alarm = (AlarmName: string, MetricName: string, Threshold: number, stat: { Statistic?: 'Sum'; ExtendedStatistic?: string }) =>
    clients.get(CloudWatchClient).send(
      new PutMetricAlarmCommand({
        AlarmName,
        Namespace: 'AWS/ApplicationELB',
        MetricName,
        Dimensions: dimensions,
        Period: 60,
        EvaluationPeriods: 3,
        Threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...stat,
      }),
    );
  const names = { errorRateAlarm: `${prefix}-5xx`, latencyAlarm: `${prefix}-p99`, gateAlarm: `${prefix}-gate` };
  await Promise.all([
    alarm(names.errorRateAlarm, 'HTTPCode_Target_5XX_Count', 5, { Statistic: 'Sum' }),
    alarm(names.latencyAlarm, 'TargetResponseTime', 1, { ExtendedStatistic: 'p99' }),
    // moto has no PutCompositeAlarm: a metric alarm with the composite's name stands in for it.
    alarm(names.gateAlarm, 'HTTPCode_Target_5XX_Count', 5, { Statistic: 'Sum' }),
  ]);
  return names;
}

interface Route {
  readonly listenerArn: string;
  readonly ruleArn: string;
  readonly port: number;
}

async function createRoute(clients: AwsClients, lbArn: string, port: number, groups: { blue: string; green: string }, weights: Weights): Promise<Route> {
  const listener = await clients.get(ElasticLoadBalancingV2Client).send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Port: port,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'no colour is routed' } }],
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? fail('CreateListener returned no ARN');
  const rule = await clients.get(ElasticLoadBalancingV2Client).send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: 50000,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }],
      Actions: [forwardAction(groups, weights)],
    }),
  );
  return { listenerArn, ruleArn: rule.Rules?.[0]?.RuleArn ?? fail('CreateRule returned no ARN'), port };
}

/** Tag FIXTURE_AMI as a BakedImage tags its AMIs, so that green's `baked:web@1.0.0` reads as deployed. */
async function tagAsBake(clients: AwsClients): Promise<void> {
  await clients.get(EC2Client).send(
    new CreateTagsCommand({
      Resources: [FIXTURE_AMI],
      Tags: [
        { Key: IMAGE_TAG_KEY, Value: FIXTURE_IMAGE_TAG },
        { Key: VERSION_TAG_KEY, Value: FIXTURE_GREEN_IMAGE.split('@')[1] },
      ],
    }),
  );
}

async function createStateTable(clients: AwsClients, service: string): Promise<string> {
  const TableName = `${service}-release-state`;
  await clients.get(DynamoDBClient).send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'service', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'service', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return TableName;
}

function descriptorOf(
  service: string,
  region: string,
  lb: LoadBalancer,
  production: Route,
  test: Route,
  releaseStateTable: string,
  capacity: { readonly min: number; readonly max: number; readonly desired: number },
  colours: { blue: FixtureColour; green: FixtureColour },
): ServiceDescriptor {
  const route = (r: Route): TrafficRouteDescriptor => ({ listenerArn: r.listenerArn, ruleArn: r.ruleArn, port: r.port, protocol: 'HTTP' });
  const colour = (c: FixtureColour, mode: string, image: string) => ({
    targetGroupArn: c.targetGroupArn,
    targetGroupFullName: targetGroupFullName(c.targetGroupArn),
    autoScalingGroupName: c.autoScalingGroupName,
    launchTemplateId: c.launchTemplateId,
    image,
    imageId: FIXTURE_AMI,
    mode,
    alarms: { gate: c.gateAlarm, errorRate: c.errorRateAlarm, latencyP99: c.latencyAlarm },
  });
  return {
    schemaVersion: 1,
    service,
    region,
    stackName: `${service}-stack`,
    loadBalancer: { arn: lb.arn, fullName: lb.arn.split(':loadbalancer/')[1] ?? '', dnsName: lb.dnsName },
    production: route(production),
    test: route(test),
    topicArn: `arn:aws:sns:${region}:${MOTO_ACCOUNT}:${service}-notifications`,
    routingIdentity: 'internet-facing;vpc="fixture";targets=HTTP:80',
    releaseStateTable,
    capacity: { ...capacity },
    colours: { blue: colour(colours.blue, 'active', FIXTURE_AMI), green: colour(colours.green, 'ready', FIXTURE_GREEN_IMAGE) },
  };
}

function levers(base: Omit<ServiceFixture, keyof Levers>): ServiceFixture {
  const { clients, descriptor, colours } = base;
  const instanceIds = async (colour: ColourName): Promise<string[]> => {
    const out = await clients.get(EC2Client).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:aws:autoscaling:groupName', Values: [colours[colour].autoScalingGroupName] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
      }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '');
  };
  const pruneTerminatedTargets = async (colour?: ColourName) => {
    for (const c of colour ? [colour] : COLOUR_NAMES) {
      // Targets first, then instances: an instance launched (and registered) in between is then in `live`, never
      // taken for a terminated one.
      const health = await clients.get(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: colours[c].targetGroupArn }));
      const live = new Set(await instanceIds(c));
      const stale = (health.TargetHealthDescriptions ?? []).map((t) => t.Target?.Id ?? '').filter((id) => !live.has(id));
      if (stale.length) {
        await clients.get(ElasticLoadBalancingV2Client).send(new DeregisterTargetsCommand({ TargetGroupArn: colours[c].targetGroupArn, Targets: stale.map((Id) => ({ Id })) }));
      }
    }
  };
  const setAlarmState = async (alarmName: string, state: StateValue, reason = 'set by test') => {
    await clients.get(CloudWatchClient).send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: reason }));
  };
  const levers: Levers = {
    weights: async (route = 'production') => {
      const out = await clients.get(ElasticLoadBalancingV2Client).send(new DescribeRulesCommand({ RuleArns: [descriptor[route].ruleArn] }));
      const tuples = out.Rules?.[0]?.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
      const weightOf = (arn: string) => tuples.find((t) => t.TargetGroupArn === arn)?.Weight ?? 0;
      return { blue: weightOf(colours.blue.targetGroupArn), green: weightOf(colours.green.targetGroupArn) };
    },
    setWeights: async (route, weights) => {
      await clients.get(ElasticLoadBalancingV2Client).send(new ModifyRuleCommand({ RuleArn: descriptor[route].ruleArn, Actions: [forwardAction(groupsOf(colours), weights)] }));
    },
    setAlarmState,
    setGateState: (colour, state) => setAlarmState(colours[colour].gateAlarm, state),
    instanceIds,
    makeUnhealthy: async (colour) => {
      const ids = await instanceIds(colour);
      if (ids.length) await clients.get(EC2Client).send(new StopInstancesCommand({ InstanceIds: ids }));
    },
    makeHealthy: async (colour) => {
      const ids = await instanceIds(colour);
      if (ids.length) await clients.get(EC2Client).send(new StartInstancesCommand({ InstanceIds: ids }));
    },
    scaleToZero: async (colour) => {
      await clients.get(AutoScalingClient).send(
        new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: colours[colour].autoScalingGroupName, MinSize: 0, MaxSize: 0, DesiredCapacity: 0 }),
      );
      await pruneTerminatedTargets(colour);
    },
    pruneTerminatedTargets,
  };
  return { ...base, ...levers };
}

type Levers = Pick<
  ServiceFixture,
  'weights' | 'setWeights' | 'setAlarmState' | 'setGateState' | 'instanceIds' | 'makeUnhealthy' | 'makeHealthy' | 'scaleToZero' | 'pruneTerminatedTargets'
>;

/** The weighted forward the service's rules carry. */
function forwardAction(groups: { blue: string; green: string }, weights: Weights): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: groups.blue, Weight: weights.blue },
        { TargetGroupArn: groups.green, Weight: weights.green },
      ],
    },
  };
}

function groupsOf(colours: { readonly blue: FixtureColour; readonly green: FixtureColour }) {
  return { blue: colours.blue.targetGroupArn, green: colours.green.targetGroupArn };
}

/** `targetgroup/<name>/<id>`, CloudWatch's TargetGroup dimension. */
function targetGroupFullName(arn: string): string {
  return arn.split(':').pop() ?? arn;
}

function fail(message: string): never {
  throw new Error(`fixture: ${message}`);
}
