/**
 * A stand-in for the parts of AWS AppConfig and CloudWatch that moto 5.2 does not model, for the feature-flag
 * adapters' and commands' tests: ONE local HTTP server (node:http) in front of moto. Point the SDK at it with
 * `AWS_ENDPOINT_URL_APPCONFIG` and `AWS_ENDPOINT_URL_CLOUDWATCH` (`standIn.env`); everything else goes to moto as usual.
 * Works without a test runner (the bench can use it); tests start it with `useAppConfigStandIn`
 * (./appconfig-stand-in-server).
 *
 * Stood in for (served here, kept in this process's memory):
 * - AppConfig environments: CreateEnvironment (with Monitors), GetEnvironment, ListEnvironments. moto answers
 *   `404 Not yet implemented`.
 * - AppConfig deployment strategies: CreateDeploymentStrategy, GetDeploymentStrategy, ListDeploymentStrategies, and
 *   AWS's predefined ones (`AppConfig.AllAtOnce` = linear 100 %, 0 min, 10 min bake, and the three others). moto has
 *   none.
 * - AppConfig deployments: StartDeployment, GetDeployment, ListDeployments, StopDeployment. moto has none. Modelled:
 *   - numbers per environment from 1;
 *   - DEPLOYING (percentage by the strategy's growth) -> BAKING -> COMPLETE, by the strategy's duration and final bake
 *     on the stand-in's clock (`advance(ms)`, or `timeScale`); a 0 min / 0 bake deployment is COMPLETE at once;
 *   - 409 ConflictException on StartDeployment while one is DEPLOYING or BAKING (AWS's text for that case is not
 *     documented; the adapter matches the name and status only);
 *   - StopDeployment, as AWS's API reference says it "works only on deployments that have a status of DEPLOYING,
 *     unless an AllowRevert parameter is supplied": of a DEPLOYING deployment -> ROLLED_BACK (event log:
 *     ROLLBACK_STARTED by USER), the previous COMPLETE version served again; of a BAKING one without `Allow-Revert:
 *     true` -> 400 BadRequestException, with it -> ROLLED_BACK (the API reference: AllowRevert on an in-progress
 *     deployment rolls it back; the previous version served again); `Allow-Revert: true` on the newest COMPLETE one
 *     -> REVERTED (AWS: within 72 hours; not modelled); anything else -> 400 BadRequestException (AWS's exact texts
 *     are not documented). ROLLING_BACK is instantaneous here (never observed);
 *   - monitors: on every deployment read (Get/List/Start/Stop, GetEnvironment) and on `tick()`/`advance()`, moto's
 *     DescribeAlarms for the environment's monitor alarm ARNs; a running deployment rolls back (ROLLED_BACK, a
 *     ROLLBACK_STARTED event by CLOUDWATCH_ALARM naming the alarm's ARN) when one is in ALARM or INSUFFICIENT_DATA
 *     with ActionsEnabled true (AWS: no rollback on an alarm whose actions are disabled). Checked only at those
 *     moments, not continuously.
 *   - what each environment serves (`served()`): the newest COMPLETE deployment's version.
 *   - ListDeployments: newest first, `max_results` a page (default 50), `next_token` the next page (an opaque token
 *     here: the offset), each summary with its ConfigurationProfileId and ConfigurationName.
 * - CloudWatch DisableAlarmActions / EnableAlarmActions (AWS JSON 1.0, `X-Amz-Target:
 *   GraniteServiceVersion20100801.*`; moto raises NotImplementedError): moto's DescribeAlarms, then the alarm put
 *   again with the same fields and ActionsEnabled changed (PutMetricAlarm, or PutCompositeAlarm for a composite,
 *   which moto 5.2 lacks too, so only metric alarms work), then SetAlarmState back to its state and reason (moto
 *   resets a re-put alarm to OK).
 *
 * moto's own (forwarded unchanged, signature headers included): every other AppConfig request (applications,
 * configuration profiles, hosted configuration versions, tags) and every other CloudWatch request (alarms and their
 * states, SetAlarmState, metrics).
 *
 * Not modelled: LatestVersionNumber locking and content validation of hosted versions (moto's gaps), the
 * LatestDeploymentNumber parameter of StartDeployment, KMS, extensions, validators, the alarm role (AlarmRoleArn is stored, never assumed), the AppConfig
 * Agent and appconfigdata (GetLatestConfiguration).
 */
import { AppConfigClient, GetConfigurationProfileCommand, GetHostedConfigurationVersionCommand, GetApplicationCommand } from '@aws-sdk/client-appconfig';
import {
  CloudWatchClient,
  CompositeAlarm,
  DescribeAlarmsCommand,
  MetricAlarm,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { randomBytes } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { MOTO_REGION } from './moto-process';

/** A deployment strategy as AppConfig describes it. */
export interface StandInStrategy {
  readonly Id: string;
  readonly Name: string;
  readonly Description?: string;
  readonly DeploymentDurationInMinutes: number;
  readonly GrowthType: 'LINEAR' | 'EXPONENTIAL';
  readonly GrowthFactor: number;
  readonly FinalBakeTimeInMinutes: number;
  readonly ReplicateTo: string;
}

/** AWS's predefined strategies (ids, growth, duration, bake as the AppConfig user guide lists them). */
export const PREDEFINED_STRATEGIES: readonly StandInStrategy[] = [
  predefined('AppConfig.AllAtOnce', 'LINEAR', 100, 0, 10),
  predefined('AppConfig.Linear50PercentEvery30Seconds', 'LINEAR', 50, 1, 1),
  predefined('AppConfig.Linear20PercentEvery6Minutes', 'LINEAR', 20, 30, 30),
  predefined('AppConfig.Canary10Percent20Minutes', 'EXPONENTIAL', 10, 20, 10),
];

function predefined(Id: string, GrowthType: 'LINEAR' | 'EXPONENTIAL', GrowthFactor: number, duration: number, bake: number): StandInStrategy {
  return { Id, Name: Id, DeploymentDurationInMinutes: duration, GrowthType, GrowthFactor, FinalBakeTimeInMinutes: bake, ReplicateTo: 'NONE' };
}

/** One entry of a deployment's event log. */
export interface StandInEvent {
  readonly EventType: string;
  readonly TriggeredBy: 'USER' | 'APPCONFIG' | 'CLOUDWATCH_ALARM' | 'INTERNAL_ERROR';
  readonly Description: string;
  /** Epoch ms on the stand-in's clock. */
  readonly OccurredAt: number;
}

type DeploymentState = 'DEPLOYING' | 'BAKING' | 'COMPLETE' | 'ROLLED_BACK' | 'REVERTED';
const RUNNING: readonly DeploymentState[] = ['DEPLOYING', 'BAKING'];

/** A deployment as the stand-in keeps it. */
export interface StandInDeployment {
  readonly number: number;
  readonly strategy: StandInStrategy;
  readonly profileId: string;
  readonly configurationName: string;
  readonly version: string;
  readonly description?: string;
  /** Epoch ms on the stand-in's clock. */
  readonly startedAt: number;
  completedAt?: number;
  state: DeploymentState;
  percentage: number;
  readonly events: StandInEvent[];
}

/** An environment as the stand-in keeps it. */
export interface StandInEnvironment {
  readonly applicationId: string;
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly monitors: readonly { readonly AlarmArn: string; readonly AlarmRoleArn?: string }[];
  readonly region: string;
  /** Oldest first. */
  readonly deployments: StandInDeployment[];
}

/** Options of `startAppConfigStandIn`. */
export interface AppConfigStandInOptions {
  /** moto's endpoint, where everything not stood in for goes. */
  readonly motoEndpoint: string;
  /**
   * Simulated milliseconds per real millisecond: 0 freezes the clock (only `advance` moves it); 600 runs ten minutes a
   * second, for a CLI that waits on a deployment with real sleeps.
   *
   * @default 0
   */
  readonly timeScale?: number;
}

/** A running stand-in. */
export interface AppConfigStandIn {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** `AWS_ENDPOINT_URL_APPCONFIG` and `AWS_ENDPOINT_URL_CLOUDWATCH` pointing at the stand-in. */
  readonly env: Readonly<Record<string, string>>;
  /** The stand-in's clock, epoch ms. */
  now(): number;
  /** Check the monitors of every running deployment at the current time, then move the clock `ms` on. */
  advance(ms: number): Promise<void>;
  /** Bring every deployment up to the clock and check the monitors of those still running. */
  tick(): Promise<void>;
  /** The environment (undefined when it does not exist). */
  environment(applicationId: string, environmentId: string): StandInEnvironment | undefined;
  /** The version an environment serves: its newest COMPLETE deployment's (undefined before any). */
  served(applicationId: string, environmentId: string): { readonly profileId: string; readonly version: string } | undefined;
  /** Forget every environment, custom strategy and deployment (moto's own resources stay: reset moto for those). */
  reset(): void;
  stop(): Promise<void>;
}

/** An error AppConfig or CloudWatch would answer. */
class ServiceError extends Error {
  constructor(
    public readonly status: number,
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Start the stand-in on a free loopback port. */
export async function startAppConfigStandIn(options: AppConfigStandInOptions): Promise<AppConfigStandIn> {
  const moto = new URL(options.motoEndpoint);
  const timeScale = options.timeScale ?? 0;
  const wallStart = Date.now();
  let offset = 0;
  const now = () => wallStart + offset + Math.floor((Date.now() - wallStart) * timeScale);

  const environments = new Map<string, StandInEnvironment>();
  const strategies = new Map<string, StandInStrategy>(PREDEFINED_STRATEGIES.map((s) => [s.Id, s]));
  const envKey = (app: string, env: string) => `${app}/${env}`;

  const clientCache = new Map<string, { appconfig: AppConfigClient; cloudwatch: CloudWatchClient }>();
  const motoClients = (region: string) => {
    let c = clientCache.get(region);
    if (!c) {
      const config = { region, endpoint: options.motoEndpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
      c = { appconfig: new AppConfigClient(config), cloudwatch: new CloudWatchClient(config) };
      clientCache.set(region, c);
    }
    return c;
  };

  // --- Deployments ---

  const progress = (d: StandInDeployment, at: number) => {
    if (!RUNNING.includes(d.state)) return;
    const durationMs = d.strategy.DeploymentDurationInMinutes * 60_000;
    const bakeMs = d.strategy.FinalBakeTimeInMinutes * 60_000;
    const elapsed = at - d.startedAt;
    if (elapsed < durationMs) {
      d.state = 'DEPLOYING';
      d.percentage = percentageAt(d.strategy, elapsed, durationMs);
      return;
    }
    if (d.state === 'DEPLOYING') {
      d.percentage = 100;
      d.events.push({ EventType: 'BAKE_TIME_STARTED', TriggeredBy: 'APPCONFIG', Description: 'Bake time started', OccurredAt: d.startedAt + durationMs });
      d.state = 'BAKING';
    }
    if (elapsed < durationMs + bakeMs) return;
    d.state = 'COMPLETE';
    d.completedAt = d.startedAt + durationMs + bakeMs;
    d.events.push({ EventType: 'DEPLOYMENT_COMPLETED', TriggeredBy: 'APPCONFIG', Description: 'Deployment completed', OccurredAt: d.completedAt });
  };

  const rollBack = (d: StandInDeployment, by: StandInEvent['TriggeredBy'], description: string) => {
    const at = now();
    d.events.push({ EventType: 'ROLLBACK_STARTED', TriggeredBy: by, Description: description, OccurredAt: at });
    d.events.push({ EventType: 'ROLLBACK_COMPLETED', TriggeredBy: 'APPCONFIG', Description: 'Rollback completed', OccurredAt: at });
    d.state = 'ROLLED_BACK';
    d.completedAt = at;
  };

  /** The alarm (by ARN) that rolls `env`'s running deployment back, if any. */
  const firingMonitor = async (env: StandInEnvironment): Promise<string | undefined> => {
    const byRegion = new Map<string, string[]>();
    for (const m of env.monitors) {
      const parts = m.AlarmArn.split(':');
      const region = parts[3] || env.region;
      byRegion.set(region, [...(byRegion.get(region) ?? []), parts.slice(6).join(':')]);
    }
    for (const [region, names] of byRegion) {
      const out = await motoClients(region).cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }));
      const alarms: (MetricAlarm | CompositeAlarm)[] = [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])];
      const firing = alarms.find((a) => (a.StateValue === 'ALARM' || a.StateValue === 'INSUFFICIENT_DATA') && a.ActionsEnabled !== false);
      if (firing) return firing.AlarmArn;
    }
    return undefined;
  };

  /** Bring `env`'s deployments up to the clock; roll the running one back if a monitor fires. */
  const refresh = async (env: StandInEnvironment) => {
    const at = now();
    for (const d of env.deployments) progress(d, at);
    const running = env.deployments.find((d) => RUNNING.includes(d.state));
    if (!running || !env.monitors.length) return;
    const alarmArn = await firingMonitor(env);
    if (alarmArn && RUNNING.includes(running.state)) rollBack(running, 'CLOUDWATCH_ALARM', `Rollback initiated by CloudWatch Alarm: ${alarmArn}`);
  };

  const refreshAll = async () => {
    for (const env of environments.values()) await refresh(env);
  };

  const served = (env: StandInEnvironment) => {
    const complete = [...env.deployments].reverse().find((d) => d.state === 'COMPLETE');
    return complete && { profileId: complete.profileId, version: complete.version };
  };

  const environmentState = (env: StandInEnvironment) => {
    const last = env.deployments[env.deployments.length - 1];
    if (!last) return 'READY_FOR_DEPLOYMENT';
    if (RUNNING.includes(last.state)) return 'DEPLOYING';
    if (last.state === 'ROLLED_BACK' || last.state === 'REVERTED') return last.state;
    return 'READY_FOR_DEPLOYMENT';
  };

  const environmentJson = (env: StandInEnvironment) => ({
    ApplicationId: env.applicationId,
    Id: env.id,
    Name: env.name,
    ...(env.description ? { Description: env.description } : {}),
    State: environmentState(env),
    Monitors: env.monitors,
  });

  const deploymentJson = (env: StandInEnvironment, d: StandInDeployment) => ({
    ApplicationId: env.applicationId,
    EnvironmentId: env.id,
    DeploymentStrategyId: d.strategy.Id,
    ConfigurationProfileId: d.profileId,
    DeploymentNumber: d.number,
    ConfigurationName: d.configurationName,
    ConfigurationLocationUri: 'hosted',
    ConfigurationVersion: d.version,
    ...(d.description ? { Description: d.description } : {}),
    DeploymentDurationInMinutes: d.strategy.DeploymentDurationInMinutes,
    GrowthType: d.strategy.GrowthType,
    GrowthFactor: d.strategy.GrowthFactor,
    FinalBakeTimeInMinutes: d.strategy.FinalBakeTimeInMinutes,
    State: d.state,
    EventLog: [...d.events].reverse().map((e) => ({ ...e, OccurredAt: iso(e.OccurredAt) })),
    PercentageComplete: d.percentage,
    StartedAt: iso(d.startedAt),
    ...(d.completedAt !== undefined ? { CompletedAt: iso(d.completedAt) } : {}),
  });

  const summaryJson = (d: StandInDeployment) => ({
    DeploymentNumber: d.number,
    ConfigurationProfileId: d.profileId,
    ConfigurationName: d.configurationName,
    ConfigurationVersion: d.version,
    DeploymentDurationInMinutes: d.strategy.DeploymentDurationInMinutes,
    GrowthType: d.strategy.GrowthType,
    GrowthFactor: d.strategy.GrowthFactor,
    FinalBakeTimeInMinutes: d.strategy.FinalBakeTimeInMinutes,
    State: d.state,
    PercentageComplete: d.percentage,
    StartedAt: iso(d.startedAt),
    ...(d.completedAt !== undefined ? { CompletedAt: iso(d.completedAt) } : {}),
  });

  const environmentOf = async (app: string, envId: string) => {
    const env = environments.get(envKey(app, envId));
    if (!env) throw new ServiceError(404, 'ResourceNotFoundException', `Environment ${envId} of application ${app} not found`);
    await refresh(env);
    return env;
  };

  const deploymentOf = (env: StandInEnvironment, n: string) => {
    const d = env.deployments.find((x) => String(x.number) === n);
    if (!d) throw new ServiceError(404, 'ResourceNotFoundException', `Deployment ${n} not found`);
    return d;
  };

  // --- AppConfig routes ---

  type Reply = { status: number; body: unknown };
  const appconfigRoute = async (req: http.IncomingMessage, path: string, query: URLSearchParams, body: string): Promise<Reply | undefined> => {
    const m = (re: RegExp) => re.exec(path);
    const json = () => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    const region = regionOf(req);
    let r: RegExpExecArray | null;

    if ((r = m(/^\/applications\/([^/]+)\/environments$/))) {
      const app = r[1];
      if (req.method === 'GET') {
        const items = [...environments.values()].filter((e) => e.applicationId === app);
        for (const e of items) await refresh(e);
        return { status: 200, body: { Items: items.map(environmentJson) } };
      }
      if (req.method !== 'POST') return undefined;
      await motoClients(region)
        .appconfig.send(new GetApplicationCommand({ ApplicationId: app }))
        .catch(() => {
          throw new ServiceError(404, 'ResourceNotFoundException', `Application ${app} not found`);
        });
      const input = json();
      if (typeof input.Name !== 'string' || !input.Name) throw new ServiceError(400, 'BadRequestException', 'Name is required');
      const env: StandInEnvironment = {
        applicationId: app,
        id: newId(),
        name: input.Name,
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
        monitors: ((input.Monitors as { AlarmArn: string; AlarmRoleArn?: string }[] | undefined) ?? []).map((x) => ({
          AlarmArn: x.AlarmArn,
          ...(x.AlarmRoleArn ? { AlarmRoleArn: x.AlarmRoleArn } : {}),
        })),
        region,
        deployments: [],
      };
      environments.set(envKey(app, env.id), env);
      return { status: 201, body: environmentJson(env) };
    }

    if ((r = m(/^\/applications\/([^/]+)\/environments\/([^/]+)$/)) && req.method === 'GET') {
      return { status: 200, body: environmentJson(await environmentOf(r[1], r[2])) };
    }

    if ((r = m(/^\/deploymentstrategies$/))) {
      if (req.method === 'GET') return { status: 200, body: { Items: [...strategies.values()] } };
      if (req.method !== 'POST') return undefined;
      const input = json();
      const duration = Number(input.DeploymentDurationInMinutes);
      const growth = Number(input.GrowthFactor);
      const bake = Number(input.FinalBakeTimeInMinutes ?? 0);
      if (typeof input.Name !== 'string' || !(duration >= 0 && duration <= 1440) || !(growth >= 1 && growth <= 100) || !(bake >= 0 && bake <= 1440)) {
        throw new ServiceError(400, 'BadRequestException', 'Name, DeploymentDurationInMinutes (0-1440), GrowthFactor (1-100) and FinalBakeTimeInMinutes (0-1440) are required');
      }
      const strategy: StandInStrategy = {
        Id: newId(),
        Name: input.Name,
        ...(typeof input.Description === 'string' ? { Description: input.Description } : {}),
        DeploymentDurationInMinutes: duration,
        GrowthType: input.GrowthType === 'EXPONENTIAL' ? 'EXPONENTIAL' : 'LINEAR',
        GrowthFactor: growth,
        FinalBakeTimeInMinutes: bake,
        ReplicateTo: typeof input.ReplicateTo === 'string' ? input.ReplicateTo : 'NONE',
      };
      strategies.set(strategy.Id, strategy);
      return { status: 201, body: strategy };
    }

    if ((r = m(/^\/deploymentstrategies\/([^/]+)$/)) && req.method === 'GET') {
      const s = strategies.get(decodeURIComponent(r[1]));
      if (!s) throw new ServiceError(404, 'ResourceNotFoundException', `Deployment strategy ${r[1]} not found`);
      return { status: 200, body: s };
    }

    if ((r = m(/^\/applications\/([^/]+)\/environments\/([^/]+)\/deployments$/))) {
      const env = await environmentOf(r[1], r[2]);
      if (req.method === 'GET') {
        const max = Number(query.get('max_results') ?? 50);
        const from = query.get('next_token') ? Number(Buffer.from(String(query.get('next_token')), 'base64').toString('utf8')) : 0;
        const newestFirst = [...env.deployments].reverse();
        const items = newestFirst.slice(from, from + max);
        const more = from + max < newestFirst.length;
        return { status: 200, body: { Items: items.map(summaryJson), ...(more ? { NextToken: Buffer.from(String(from + max)).toString('base64') } : {}) } };
      }
      if (req.method !== 'POST') return undefined;
      const input = json();
      const running = env.deployments.find((d) => RUNNING.includes(d.state));
      if (running) {
        throw new ServiceError(409, 'ConflictException', `Deployment number ${running.number} is in progress in environment ${env.id}`);
      }
      const strategy = strategies.get(String(input.DeploymentStrategyId));
      if (!strategy) throw new ServiceError(404, 'ResourceNotFoundException', `Deployment strategy ${String(input.DeploymentStrategyId)} not found`);
      const profileId = String(input.ConfigurationProfileId);
      const version = String(input.ConfigurationVersion);
      const { appconfig } = motoClients(region);
      const profile = await appconfig.send(new GetConfigurationProfileCommand({ ApplicationId: env.applicationId, ConfigurationProfileId: profileId })).catch(() => {
        throw new ServiceError(404, 'ResourceNotFoundException', `Configuration profile ${profileId} not found`);
      });
      await appconfig
        .send(new GetHostedConfigurationVersionCommand({ ApplicationId: env.applicationId, ConfigurationProfileId: profileId, VersionNumber: Number(version) }))
        .catch(() => {
          throw new ServiceError(404, 'ResourceNotFoundException', `Hosted configuration version ${version} of profile ${profileId} not found`);
        });
      const startedAt = now();
      const d: StandInDeployment = {
        number: env.deployments.length + 1,
        strategy,
        profileId,
        configurationName: profile.Name ?? profileId,
        version,
        ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
        startedAt,
        state: 'DEPLOYING',
        percentage: 0,
        events: [{ EventType: 'DEPLOYMENT_STARTED', TriggeredBy: 'USER', Description: 'Deployment started', OccurredAt: startedAt }],
      };
      env.deployments.push(d);
      progress(d, startedAt);
      return { status: 201, body: deploymentJson(env, d) };
    }

    if ((r = m(/^\/applications\/([^/]+)\/environments\/([^/]+)\/deployments\/([^/]+)$/))) {
      const env = await environmentOf(r[1], r[2]);
      const d = deploymentOf(env, r[3]);
      if (req.method === 'GET') return { status: 200, body: deploymentJson(env, d) };
      if (req.method !== 'DELETE') return undefined;
      const allowRevert = String(req.headers['allow-revert'] ?? '').toLowerCase() === 'true';
      if (d.state === 'DEPLOYING') {
        rollBack(d, 'USER', 'Rollback initiated by user');
      } else if (d.state === 'BAKING') {
        if (!allowRevert) throw new ServiceError(400, 'BadRequestException', `Deployment number ${d.number} is BAKING: it can be stopped only with AllowRevert`);
        rollBack(d, 'USER', 'Rollback initiated by user (AllowRevert)');
      } else if (allowRevert && d === env.deployments.filter((x) => x.state === 'COMPLETE').pop()) {
        d.state = 'REVERTED';
        d.events.push({ EventType: 'REVERT_COMPLETED', TriggeredBy: 'USER', Description: 'Revert completed', OccurredAt: now() });
      } else {
        throw new ServiceError(400, 'BadRequestException', `Deployment number ${d.number} cannot be stopped: it is ${d.state}`);
      }
      return { status: 202, body: deploymentJson(env, d) };
    }
    return undefined;
  };

  // --- CloudWatch alarm actions ---

  const setActions = async (region: string, names: string[], enabled: boolean) => {
    const { cloudwatch } = motoClients(region);
    const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }));
    for (const a of out.MetricAlarms ?? []) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: a.AlarmName,
          AlarmDescription: a.AlarmDescription,
          ActionsEnabled: enabled,
          OKActions: a.OKActions,
          AlarmActions: a.AlarmActions,
          InsufficientDataActions: a.InsufficientDataActions,
          MetricName: a.MetricName,
          Namespace: a.Namespace,
          Statistic: a.Statistic,
          ExtendedStatistic: a.ExtendedStatistic,
          Dimensions: a.Dimensions,
          Period: a.Period,
          Unit: a.Unit,
          EvaluationPeriods: a.EvaluationPeriods,
          DatapointsToAlarm: a.DatapointsToAlarm,
          Threshold: a.Threshold,
          ComparisonOperator: a.ComparisonOperator,
          TreatMissingData: a.TreatMissingData,
          EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile,
          Metrics: a.Metrics,
          ThresholdMetricId: a.ThresholdMetricId,
        }),
      );
      await restoreState(cloudwatch, a);
    }
    for (const a of out.CompositeAlarms ?? []) {
      await cloudwatch.send(
        new PutCompositeAlarmCommand({
          AlarmName: a.AlarmName,
          AlarmDescription: a.AlarmDescription,
          AlarmRule: a.AlarmRule,
          ActionsEnabled: enabled,
          OKActions: a.OKActions,
          AlarmActions: a.AlarmActions,
          InsufficientDataActions: a.InsufficientDataActions,
          ActionsSuppressor: a.ActionsSuppressor,
          ActionsSuppressorWaitPeriod: a.ActionsSuppressorWaitPeriod,
          ActionsSuppressorExtensionPeriod: a.ActionsSuppressorExtensionPeriod,
        }),
      );
      await restoreState(cloudwatch, a);
    }
  };

  // --- The server ---

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
    const upstream = http.request(
      { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: { ...req.headers, host: moto.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`stand-in: moto unreachable: ${e.message}`);
    });
    upstream.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (target) {
        const action = target.split('.').pop();
        if (action !== 'DisableAlarmActions' && action !== 'EnableAlarmActions') return forward(req, res, body);
        const input = JSON.parse(body.toString('utf8') || '{}') as { AlarmNames?: string[] };
        await setActions(regionOf(req), input.AlarmNames ?? [], action === 'EnableAlarmActions');
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        return res.end('{}');
      }
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const reply = await appconfigRoute(req, url.pathname, url.searchParams, body.toString('utf8'));
      if (!reply) return forward(req, res, body);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    } catch (e) {
      const err = e instanceof ServiceError ? e : new ServiceError(500, target ? 'InternalFailure' : 'InternalServerException', (e as Error).message);
      const json = target ? { __type: err.type, message: err.message } : { Message: err.message };
      res.writeHead(err.status, {
        'content-type': target ? 'application/x-amz-json-1.0' : 'application/json',
        'x-amzn-errortype': err.type,
      });
      res.end(JSON.stringify(json));
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    env: { AWS_ENDPOINT_URL_APPCONFIG: endpoint, AWS_ENDPOINT_URL_CLOUDWATCH: endpoint },
    now,
    advance: async (ms) => {
      await refreshAll();
      offset += ms;
    },
    tick: refreshAll,
    environment: (app, env) => environments.get(envKey(app, env)),
    served: (app, env) => {
      const e = environments.get(envKey(app, env));
      return e && served(e);
    },
    reset: () => {
      environments.clear();
      strategies.clear();
      for (const s of PREDEFINED_STRATEGIES) strategies.set(s.Id, s);
    },
    stop: async () => {
      for (const c of clientCache.values()) {
        c.appconfig.destroy();
        c.cloudwatch.destroy();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The rollout's percentage `elapsed` ms into a deployment of `durationMs` (a step at the start of each interval). */
function percentageAt(s: StandInStrategy, elapsed: number, durationMs: number): number {
  if (s.GrowthType === 'EXPONENTIAL') {
    // AppConfig: G*(2^N) at step N.
    const steps = Math.max(1, Math.ceil(Math.log2(100 / s.GrowthFactor)) + 1);
    const step = Math.floor(elapsed / (durationMs / steps));
    return Math.min(100, s.GrowthFactor * 2 ** step);
  }
  const steps = Math.ceil(100 / s.GrowthFactor);
  const step = Math.floor(elapsed / (durationMs / steps));
  return Math.min(100, s.GrowthFactor * (step + 1));
}

/** Put an alarm's state back after a re-put (moto resets it to OK). */
async function restoreState(cloudwatch: CloudWatchClient, a: MetricAlarm | CompositeAlarm): Promise<void> {
  if (!a.AlarmName || !a.StateValue) return;
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: a.AlarmName, StateValue: a.StateValue, StateReason: a.StateReason ?? 'restored by the stand-in' }));
}

/** The Region a signed request is for (its credential scope), else MOTO_REGION. */
function regionOf(req: http.IncomingMessage): string {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth)?.[1] ?? MOTO_REGION;
}

/** AppConfig's ids: 7 lower-case letters and digits. */
function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(7)].map((b) => alphabet[b % alphabet.length]).join('');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
