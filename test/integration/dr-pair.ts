/**
 * A disaster-recovery pair on one moto server: the primary service in eu-west-1 and a pilot-light standby in
 * eu-central-1 (moto keeps Regions apart by the request's signature), with their DR sections, Region health alarms
 * and the drill switch alarm as the constructs deploy them. No test-runner dependency: the bench uses it too.
 *
 * Everything the `bluegreen dr` commands call is real (CLI, DrEngine, SDK adapters, moto), except what moto and a
 * laptop lack. Each stand-in is one small class or function below, and reads moto's state rather than script answers:
 * - `SwitchAlarmEvaluator`: CloudWatch evaluating the switch alarm (moto never evaluates alarms);
 * - `route53Resolver`: Route 53 answering the failover record (moto serves no DNS);
 * - `AlbStandIns`: the two load balancers answering the health path (moto's ALBs serve no HTTP), on 127.0.0.1
 *   (primary) and 127.0.0.2 (standby), and deregistering terminated instances as ALB does (moto keeps them
 *   registered, reported healthy: see fixture.ts).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DisasterRecoveryDescriptor,
  DR_SWITCH_DIMENSION,
  DR_SWITCH_METRIC,
  DR_SWITCH_NAMESPACE,
  drRegionHealthAlarmName,
  drSwitchAlarmName,
  regionalRecordName,
  StandbyModeName,
} from '../../lib/contract';
import { AwsClients, createAwsClients } from '../../lib/aws';
import type { DnsResolve } from '../../lib/aws/dr/dns-resolve';
import { COLOUR_NAMES } from '../../lib/release/ports';
import { createServiceFixture, ServiceFixture } from './fixture';
import { MOTO_REGION } from './moto-process';
import { drSectionOf } from '../helpers/dr-section';

export const PRIMARY_REGION = MOTO_REGION;
export const STANDBY_REGION = 'eu-central-1';
/** Where each Region's "load balancer" listens (Linux answers on all of 127/8). */
export const PRIMARY_ADDRESS = '127.0.0.1';
export const STANDBY_ADDRESS = '127.0.0.2';
const ZONE = 'example.test';
const HEALTH_PATH = '/health';

/** Options of `createDrPair`. */
export interface DrPairOptions {
  /** Service name (a fresh one per pair: moto keeps resources by name). */
  readonly service: string;
  /** moto's endpoint: the helpers' clients go there directly, whatever AWS_ENDPOINT_URL says. */
  readonly endpoint: string;
  /** @default 'pilot-light' */
  readonly standbyMode?: StandbyModeName;
  /** How often the stand-ins poll moto, ms. @default 50 */
  readonly pollMs?: number;
}

/** A DR pair in moto and the stand-ins that act as CloudWatch, Route 53 and the two load balancers. */
export interface DrPair {
  readonly service: string;
  readonly primary: ServiceFixture;
  readonly standby: ServiceFixture;
  /** Each Region's `disasterRecovery` section, as in its descriptor. */
  readonly sections: { readonly primary: DisasterRecoveryDescriptor; readonly standby: DisasterRecoveryDescriptor };
  readonly albs: AlbStandIns;
  readonly switchAlarm: SwitchAlarmEvaluator;
  /** Route 53's answer for the pair's records, computed from moto's state. */
  readonly resolver: DnsResolve;
  /** What `CliIo.drPortsOptions` takes: the stand-in resolver (records resolve to the loopback "load balancers"). */
  readonly drPortsOptions: { readonly resolver: DnsResolve };
  /** Which side Route 53 would answer with now. */
  answering(): Promise<'primary' | 'standby'>;
  /** Raw alarm state in moto. */
  alarmState(region: string, alarmName: string): Promise<string>;
  close(): Promise<void>;
}

/** Build the pair (about a second on a warm moto) and start its stand-ins. */
export async function createDrPair(options: DrPairOptions): Promise<DrPair> {
  const { service, endpoint } = options;
  const pollMs = options.pollMs ?? 50;
  const albs = await AlbStandIns.start();
  const sections = {
    primary: drSection(service, 'primary', albs.port, options.standbyMode ?? 'pilot-light'),
    standby: drSection(service, 'standby', albs.port, options.standbyMode ?? 'pilot-light'),
  };
  const clients = { primary: createAwsClients({ region: PRIMARY_REGION, endpoint }), standby: createAwsClients({ region: STANDBY_REGION, endpoint }) };
  const warm = options.standbyMode === 'warm-standby' ? 1 : 0;
  const [primary, standby] = await Promise.all([
    createServiceFixture({ service, region: PRIMARY_REGION, disasterRecovery: sections.primary, clients: clients.primary }),
    createServiceFixture({ service, region: STANDBY_REGION, disasterRecovery: sections.standby, clients: clients.standby, capacity: { min: warm, max: 4, desired: warm } }),
  ]);
  await Promise.all([createHealthAlarm(clients.primary, service, PRIMARY_REGION), createHealthAlarm(clients.standby, service, STANDBY_REGION), createSwitchAlarm(clients.standby, service)]);
  // Pruning costs moto 8 calls a round: not more often than every 250 ms.
  albs.serve({ [PRIMARY_ADDRESS]: primary, [STANDBY_ADDRESS]: standby }, Math.max(250, pollMs * 4));
  const switchAlarm = SwitchAlarmEvaluator.start(clients.standby, service, pollMs);
  const alarmState = async (region: string, alarmName: string) => {
    const c = region === PRIMARY_REGION ? clients.primary : clients.standby;
    const out = await c.get(CloudWatchClient).send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
    return out.MetricAlarms?.[0]?.StateValue ?? 'missing';
  };
  const answering = () => route53Answer(service, sections.standby, albs, alarmState);
  const resolver = route53Resolver(sections.standby, answering);
  return {
    service,
    primary,
    standby,
    sections,
    albs,
    switchAlarm,
    resolver,
    drPortsOptions: { resolver },
    answering,
    alarmState,
    close: async () => {
      await switchAlarm.stop();
      await albs.close();
      clients.primary.destroy();
      clients.standby.destroy();
    },
  };
}

/** A Region's `disasterRecovery` section as `RegionalFailover` describes it (DNS timing: the defaults). */
export function drSection(service: string, role: 'primary' | 'standby', port: number, standbyMode: StandbyModeName): DisasterRecoveryDescriptor {
  return drSectionOf({ primaryRegion: PRIMARY_REGION, standbyRegion: STANDBY_REGION, service, role, mode: standbyMode, zoneName: ZONE, hostedZoneId: 'Z0DRPAIR', port });
}

/** The Region's health alarm (load balancer 5xx), as `RegionalFailover` creates it. */
export async function createHealthAlarm(clients: AwsClients, service: string, region: string): Promise<void> {
  await clients.get(CloudWatchClient).send(
    new PutMetricAlarmCommand({
      AlarmName: drRegionHealthAlarmName(service, region),
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
}

/** The drill switch alarm, as `FailoverSwitch` creates it in the standby Region. */
async function createSwitchAlarm(clients: AwsClients, service: string): Promise<void> {
  await clients.get(CloudWatchClient).send(
    new PutMetricAlarmCommand({
      AlarmName: drSwitchAlarmName(service),
      Namespace: DR_SWITCH_NAMESPACE,
      MetricName: DR_SWITCH_METRIC,
      Dimensions: [{ Name: DR_SWITCH_DIMENSION, Value: service }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    }),
  );
}

/**
 * STAND-IN for CloudWatch evaluating the drill switch alarm (moto stores PutMetricData but never evaluates alarms).
 * It polls the switch metric in moto and, on each new datapoint, sets the alarm with SetAlarmState as CloudWatch
 * would: value 1 → ALARM, 0 → OK; missing data changes nothing (TreatMissingData ignore: the latch).
 *
 * Differences from CloudWatch, on purpose: it acts on the newest datapoint within `pollMs` instead of at the end of
 * the alarm's 60 s period (the RTO model in docs/BENCHMARKS.md adds that period), and it tells datapoints apart by
 * count and sum (moto's GetMetricStatistics has no order within a period): several new ones at once with mixed
 * values read as ALARM, as the Maximum statistic would.
 */
export class SwitchAlarmEvaluator {
  public static start(clients: AwsClients, service: string, pollMs: number): SwitchAlarmEvaluator {
    const evaluator = new SwitchAlarmEvaluator(clients.get(CloudWatchClient), service, pollMs);
    evaluator.loop = evaluator.run();
    return evaluator;
  }

  /** Alarm transitions made, for tests: `ALARM` / `OK` with the time. */
  public readonly transitions: { readonly state: 'ALARM' | 'OK'; readonly at: number }[] = [];
  private seen = { count: 0, sum: 0 };
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly service: string,
    private readonly pollMs: number,
  ) {}

  public async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.evaluate();
      } catch {
        // moto frozen or busy: try again next tick, as CloudWatch evaluates again next period.
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  private async evaluate(): Promise<void> {
    const now = Date.now();
    const out = await this.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: DR_SWITCH_NAMESPACE,
        MetricName: DR_SWITCH_METRIC,
        Dimensions: [{ Name: DR_SWITCH_DIMENSION, Value: this.service }],
        StartTime: new Date(now - 24 * 3_600_000),
        EndTime: new Date(now + 60_000),
        Period: 2 * 24 * 3_600,
        Statistics: ['SampleCount', 'Sum'],
      }),
    );
    const count = (out.Datapoints ?? []).reduce((n, d) => n + (d.SampleCount ?? 0), 0);
    const sum = (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    if (count <= this.seen.count) return;
    const added = count - this.seen.count;
    const ones = sum - this.seen.sum;
    this.seen = { count, sum };
    const state = ones > 0 ? 'ALARM' : 'OK';
    await this.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: drSwitchAlarmName(this.service),
        StateValue: state,
        StateReason: `stand-in evaluation: ${added} new datapoint(s), ${ones} at 1`,
      }),
    );
    this.transitions.push({ state, at: Date.now() });
  }
}

/**
 * STAND-IN for the two Application Load Balancers answering clients and health checks (moto's ALBs serve no HTTP):
 * an HTTP server per Region on its loopback address, same port. Like an ALB it answers the health path 200 while the
 * production listener forwards to a target group with a healthy target (read from moto: DescribeRules,
 * DescribeTargetHealth), and 503 otherwise. A Region made `dark` drops every connection (the Region is down).
 *
 * It also deregisters targets whose instance was terminated, as ALB does when an Auto Scaling group scales in (moto
 * keeps them registered and reports them healthy: see fixture.ts).
 */
export class AlbStandIns {
  public static async start(): Promise<AlbStandIns> {
    const albs = new AlbStandIns();
    let port = 0;
    for (const address of [PRIMARY_ADDRESS, STANDBY_ADDRESS]) {
      const server = http.createServer((req, res) => void albs.answer(address, req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, resolve);
      });
      port = (server.address() as AddressInfo).port;
      albs.servers.push(server);
    }
    albs.port = port;
    return albs;
  }

  /** The port both listen on (the descriptors' `endpoint.port`). */
  public port = 0;
  /** Requests answered, by address. */
  public readonly requests: Record<string, number> = { [PRIMARY_ADDRESS]: 0, [STANDBY_ADDRESS]: 0 };
  private readonly servers: http.Server[] = [];
  private readonly dark = new Set<string>();
  private fixtures: Record<string, ServiceFixture> = {};
  private pruning?: ReturnType<typeof setInterval>;
  private prunes: Promise<unknown> = Promise.resolve();

  private constructor() {}

  /** Serve each address's Region from its fixture; deregister terminated targets every `pruneMs`. */
  public serve(fixtures: Record<string, ServiceFixture>, pruneMs: number): void {
    this.fixtures = fixtures;
    this.pruning = setInterval(() => {
      this.prunes = Promise.all(Object.values(fixtures).map((f) => f.pruneTerminatedTargets().catch(() => undefined)));
    }, pruneMs);
  }

  /** Make a Region's load balancer unreachable (true) or answer again. */
  public setDark(address: string, dark: boolean): void {
    if (dark) this.dark.add(address);
    else this.dark.delete(address);
  }

  /** What a client gets on the health path of `address` now: 200 or 503, 0 when dark. */
  public async status(address: string): Promise<number> {
    if (this.dark.has(address)) return 0;
    const fixture = this.fixtures[address];
    if (!fixture) return 503;
    const weights = await fixture.weights();
    const elb = fixture.clients.get(ElasticLoadBalancingV2Client);
    for (const colour of COLOUR_NAMES.filter((c) => weights[c] > 0)) {
      const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: fixture.colours[colour].targetGroupArn }));
      if ((out.TargetHealthDescriptions ?? []).some((t) => t.TargetHealth?.State === 'healthy')) return 200;
    }
    return 503;
  }

  public async close(): Promise<void> {
    clearInterval(this.pruning);
    await this.prunes;
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  private async answer(address: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.dark.has(address)) {
      req.socket.destroy();
      return;
    }
    this.requests[address]++;
    const status = req.url?.split('?')[0] === HEALTH_PATH ? await this.status(address).catch(() => 502) : 404;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(status === 200 ? 'ok' : 'no healthy target');
  }
}

/**
 * Which side Route 53 answers the failover record with, as the constructs configure it (docs/DISASTER-RECOVERY.md,
 * "DNS failover"): PRIMARY while its CALCULATED check is healthy (its endpoint check answers 2xx, the switch alarm is
 * not in ALARM, INSUFFICIENT_DATA counting as healthy, and its health alarm is not in ALARM); else SECONDARY while
 * the standby's endpoint check answers 2xx; else PRIMARY (both unhealthy: Route 53 answers the primary).
 *
 * Instant: no health-check interval × threshold, no TTL (the bench reports the tool's own time; the RTO model adds
 * Route 53's).
 */
async function route53Answer(
  service: string,
  dr: DisasterRecoveryDescriptor,
  albs: AlbStandIns,
  alarmState: (region: string, alarmName: string) => Promise<string>,
): Promise<'primary' | 'standby'> {
  const [primaryEndpoint, standbyEndpoint, switchState, healthState] = await Promise.all([
    albs.status(PRIMARY_ADDRESS).catch(() => 0),
    albs.status(STANDBY_ADDRESS).catch(() => 0),
    alarmState(dr.standbyRegion, dr.switchAlarmName),
    alarmState(dr.primaryRegion, drRegionHealthAlarmName(service, dr.primaryRegion)),
  ]);
  const primaryHealthy = primaryEndpoint >= 200 && primaryEndpoint < 400 && switchState !== 'ALARM' && healthState !== 'ALARM';
  if (primaryHealthy) return 'primary';
  return standbyEndpoint >= 200 && standbyEndpoint < 400 ? 'standby' : 'primary';
}

/**
 * STAND-IN for Route 53 resolving the pair's names (no DNS server here): each Region record resolves to its
 * load balancer's loopback address, the failover record to the side `answering` says; any other name is NXDOMAIN.
 */
export function route53Resolver(dr: DisasterRecoveryDescriptor, answering: () => Promise<'primary' | 'standby'>): DnsResolve {
  const primary = regionalRecordName(dr.primaryRegion, dr.recordName);
  const standby = regionalRecordName(dr.standbyRegion, dr.recordName);
  return async (name) => {
    if (name === primary) return [PRIMARY_ADDRESS];
    if (name === standby) return [STANDBY_ADDRESS];
    if (name === dr.recordName) return [(await answering()) === 'primary' ? PRIMARY_ADDRESS : STANDBY_ADDRESS];
    throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}
