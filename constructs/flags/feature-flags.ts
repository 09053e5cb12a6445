import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FeatureFlagFile } from './feature-flag-file';
import { FeatureFlagRollout } from './feature-flag-rollout';
import { BlueGreenService } from '../fleet/blue-green-service';
import { ServiceAlarms } from '../health/service-alarms';
import { propError } from '../private/validate';
import {
  declaredFeatureFlagProfile,
  FEATURE_FLAG_NAMES,
  featureFlagApplicationName,
  FeatureFlagsDescriptor,
  renderFeatureFlagProfile,
} from '../../lib/contract';

/** Properties of a service's feature flags. */
export interface FeatureFlagsProps {
  /** The service whose instances read the flags; it must be in this construct's stack. */
  readonly service: BlueGreenService;
  /** The flags file; its `service` must be the service's name. */
  readonly file: FeatureFlagFile;
  /**
   * The service's alarms: AppConfig watches both colours' gates while a flag change rolls out and bakes, and rolls
   * it back when either fires.
   */
  readonly alarms: ServiceAlarms;
  /**
   * How `bluegreen flags set --gradual` rolls a change out.
   *
   * @default FeatureFlagRollout.linear(): 20 % a step over 10 minutes, then 5 minutes' bake
   */
  readonly gradual?: FeatureFlagRollout;
}

/**
 * A service's feature flags in AWS AppConfig: the application `bluegreen-<service>`, its environment `live` watched
 * by one composite alarm over both colours' gates, the `feature-flags` profile with the flags file's declared flags,
 * and the two deployment strategies `bluegreen flags` uses (gradual and kill).
 *
 * Deploy is not release: a `cdk deploy` creates a new hosted configuration version (the flags at their defaults) and
 * never an AppConfig deployment, so it never changes what the instances are served; only `bluegreen flags set|kill`
 * deploy. The instances read flags from the AppConfig Agent on localhost.
 *
 * @example
 * new FeatureFlags(this, 'Flags', {
 *   service,
 *   file: FeatureFlagFile.fromFile('flags/web.json'),
 *   alarms,
 * });
 */
export class FeatureFlags extends Construct {
  /** The AppConfig application `bluegreen-<service>`. */
  public readonly application: appconfig.Application;
  /** The environment `live` the instances read from, watched by `monitorAlarm`. */
  public readonly environment: appconfig.Environment;
  /** The `feature-flags` profile and the hosted version this deploy declares (retained when replaced). */
  public readonly configuration: appconfig.HostedConfiguration;
  /** Strategy of `bluegreen flags set --gradual`: linear or exponential, monitored, with a bake. */
  public readonly gradualStrategy: appconfig.DeploymentStrategy;
  /** Strategy of `bluegreen flags kill`: every instance at once, no bake, so the kill completes at once. */
  public readonly killStrategy: appconfig.DeploymentStrategy;
  /**
   * The environment's monitor: in ALARM while either colour's gate is. A composite, so an idle colour's gate in
   * INSUFFICIENT_DATA (no traffic) does not roll flag changes back. It has no actions of its own (the gates notify);
   * `bluegreen flags kill` disables its actions while the kill deploys.
   */
  public readonly monitorAlarm: cloudwatch.CompositeAlarm;
  /** The role AppConfig assumes to read the monitor. */
  public readonly monitorRole: iam.Role;
  /**
   * The instance role's read access to the `live` environment (what the AppConfig Agent calls). A policy of its own,
   * not the role's default policy: the launch templates wait for that one, and the environment waits for the
   * gates, which watch the groups (a cycle).
   */
  public readonly instanceReadPolicy: iam.Policy;
  /** The service. */
  public readonly service: BlueGreenService;

  constructor(scope: Construct, id: string, props: FeatureFlagsProps) {
    super(scope, id);
    const { service, file, alarms } = props;
    this.service = service;
    checkProps(this, props);
    const name = service.serviceName;

    this.application = new appconfig.Application(this, 'Application', {
      applicationName: featureFlagApplicationName(name),
      description: `cdk-bluegreen feature flags of ${name}; their values change only by bluegreen flags set|kill`,
    });
    this.monitorAlarm = new cloudwatch.CompositeAlarm(this, 'Monitor', {
      compositeAlarmName: `${name}-feature-flags-monitor`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        cloudwatch.AlarmRule.fromAlarm(alarms.blue.gate, cloudwatch.AlarmState.ALARM),
        cloudwatch.AlarmRule.fromAlarm(alarms.green.gate, cloudwatch.AlarmState.ALARM),
      ),
      alarmDescription:
        `${name} feature flags: in ALARM while either colour's release gate is. AppConfig rolls a flag change back on it; ` +
        'bluegreen flags kill disables its actions while a kill deploys. No actions of its own: the gates notify.',
    });
    // AppConfig reads the alarm through this role. DescribeAlarms has no resource-level permissions for composite
    // alarms' members, so it is allowed on `*` (as AWS documents for the monitor role); it only reads.
    this.monitorRole = new iam.Role(this, 'MonitorRole', {
      assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com'),
      description: `AppConfig reads ${name}'s feature-flag monitor alarm`,
    });
    this.monitorRole.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
    this.environment = new appconfig.Environment(this, 'Environment', {
      application: this.application,
      environmentName: FEATURE_FLAG_NAMES.ENVIRONMENT,
      description: `${name}'s instances (both colours) through the AppConfig Agent`,
      monitors: [appconfig.Monitor.fromCloudWatchAlarm(this.monitorAlarm, this.monitorRole)],
    });

    const gradual = props.gradual ?? FeatureFlagRollout.DEFAULT;
    this.gradualStrategy = new appconfig.DeploymentStrategy(this, 'GradualStrategy', {
      deploymentStrategyName: `bluegreen-${name}-flags-gradual`,
      description: `bluegreen flags set --gradual of ${name}: ${gradual.growthType}, monitored, baked`,
      rolloutStrategy: gradual._rolloutStrategy(),
    });
    // All at once with no bake: AppConfig.AllAtOnce bakes 10 minutes, and a kill must complete at once.
    this.killStrategy = new appconfig.DeploymentStrategy(this, 'KillStrategy', {
      deploymentStrategyName: `bluegreen-${name}-flags-kill`,
      description: `bluegreen flags kill of ${name}: every instance at once, no bake`,
      rolloutStrategy: appconfig.RolloutStrategy.linear({ growthFactor: 100, deploymentDuration: Duration.minutes(0), finalBakeTime: Duration.minutes(0) }),
    });
    // No deployTo and never addDeployment: a deploy declares, it does not release. The strategy is passed so the
    // L2 does not make a stray canary strategy of its own.
    this.configuration = new appconfig.HostedConfiguration(this, 'Configuration', {
      application: this.application,
      name: FEATURE_FLAG_NAMES.PROFILE,
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      description: `${name}'s declared feature flags, each at its default (cdk deploy); bluegreen flags set|kill deploy values`,
      content: appconfig.ConfigurationContent.fromInlineJson(renderFeatureFlagProfile(declaredFeatureFlagProfile(file._document()))),
      deploymentStrategy: this.gradualStrategy,
    });

    this.instanceReadPolicy = new iam.Policy(this, 'InstanceReadPolicy', { roles: [service.instanceRole], statements: [this.readStatement()] });
    service._registerFeatureFlags(this.describe(), {
      grantStatus: (grantee) => this.grantStatus(grantee),
      grantRelease: (grantee) => this.grantRelease(grantee),
    });
    warnExpired(this, file);
  }

  /**
   * Grant what the AppConfig Agent (or an app) needs to read the flags: a configuration session and the latest
   * configuration of the `feature-flags` profile in `live`. The service's instance role has it already
   * (`instanceReadPolicy`).
   */
  public grantReadFlags(grantee: iam.IGrantable): iam.Grant {
    const statement = this.readStatement();
    return iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
  }

  /**
   * Reading the `feature-flags` profile in `live` and nothing else (Environment.grantReadConfig would allow every
   * profile of the environment: `configuration/*`).
   */
  private readStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
      resources: [`${this.environment.environmentArn}/configuration/${this.configuration.configurationProfileId}`],
    });
  }

  /** What `bluegreen flags <svc>` reads in AppConfig (the service's `grantStatus` includes it). */
  private grantStatus(grantee: iam.IGrantable): iam.Grant {
    const app = this.application.applicationArn;
    const env = this.environment.environmentArn;
    const profile = this.configuration.configurationProfileArn;
    return [
      iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:ListDeployments'], resourceArns: [app, env] }),
      iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:GetDeployment'], resourceArns: [app, env, `${env}/deployment/*`] }),
      iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:GetHostedConfigurationVersion'], resourceArns: [app, profile, `${profile}/hostedconfigurationversion/*`] }),
    ].reduce((a, b) => a.combine(b));
  }

  /**
   * What `bluegreen flags set|kill` do in AppConfig and CloudWatch (the service's `grantRelease` includes it):
   * create a hosted version of the profile, deploy it to `live` with one of the three strategies, stop the
   * environment's deployments, and disable and enable the monitor's actions (only the monitor's, never a gate's).
   */
  private grantRelease(grantee: iam.IGrantable): iam.Grant {
    const app = this.application.applicationArn;
    const env = this.environment.environmentArn;
    const profile = this.configuration.configurationProfileArn;
    const allAtOnce = Stack.of(this).formatArn({ service: 'appconfig', resource: 'deploymentstrategy', resourceName: appconfig.DeploymentStrategyId.ALL_AT_ONCE.id });
    return [
      this.grantStatus(grantee),
      iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:CreateHostedConfigurationVersion'], resourceArns: [app, profile, `${profile}/hostedconfigurationversion/*`] }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['appconfig:StartDeployment'],
        resourceArns: [app, env, `${env}/deployment/*`, profile, this.gradualStrategy.deploymentStrategyArn, this.killStrategy.deploymentStrategyArn, allAtOnce],
      }),
      iam.Grant.addToPrincipal({ grantee, actions: ['appconfig:StopDeployment'], resourceArns: [app, env, `${env}/deployment/*`] }),
      iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:DisableAlarmActions', 'cloudwatch:EnableAlarmActions'], resourceArns: [this.monitorAlarm.alarmArn] }),
    ].reduce((a, b) => a.combine(b));
  }

  /** The descriptor's `featureFlags` section: ids only, never flag values. */
  private describe(): FeatureFlagsDescriptor {
    return {
      applicationId: this.application.applicationId,
      environmentId: this.environment.environmentId,
      profileId: this.configuration.configurationProfileId,
      declaredVersion: this.configuration.versionNumber ?? '',
      gradualStrategyId: this.gradualStrategy.deploymentStrategyId,
      killStrategyId: this.killStrategy.deploymentStrategyId,
      monitorAlarmName: this.monitorAlarm.alarmName,
    };
  }
}

/** The file must be the service's, the alarms the service's, and the construct in the service's stack. */
function checkProps(scope: Construct, props: FeatureFlagsProps): void {
  const { service, file, alarms } = props;
  if (Stack.of(service) !== Stack.of(scope)) {
    throw propError('service', service.node.path, `must be in this construct's stack (${Stack.of(scope).stackName}): each Region's stack declares its own flags; add the FeatureFlags to ${Stack.of(service).stackName}.`);
  }
  if (!Token.isUnresolved(service.serviceName) && file.service !== service.serviceName) {
    throw propError(
      'file',
      file.service,
      `must be the flags file of service '${service.serviceName}': set "service": "${service.serviceName}" in the ${file.location} or pass that service's flags file.`,
    );
  }
  if (alarms.service !== service) {
    throw propError('alarms', alarms.node.path, `must be the ServiceAlarms of service '${service.serviceName}' (they are ${alarms.service.node.path}'s): the monitor watches this service's gates.`);
  }
}

/**
 * Warn (never fail: a build must not start failing because time passed) about flags past their expiry. The warning
 * is in the cloud assembly's metadata, not the template, so the template does not depend on the clock.
 */
function warnExpired(scope: Construct, file: FeatureFlagFile): void {
  for (const flag of file.expired(new Date())) {
    Annotations.of(scope).addWarningV2(
      'cdk-bluegreen:featureFlagExpired',
      `Feature flag '${flag.name}' (owner ${flag.owner}) expired on ${flag.expiry}: remove it from the code and from the ${file.location}, or ask ${flag.owner} to move its expiry.`,
    );
  }
}
