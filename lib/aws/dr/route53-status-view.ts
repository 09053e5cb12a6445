import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  HealthCheckObservation,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import { DrSide, HealthCheckState, Route53View } from '../../release/dr/ports';
import { AwsClients } from '../clients';

/** Route 53 calls a health check healthy when more than this share of its checkers report success. */
export const HEALTHY_CHECKER_SHARE = 0.18;

/** How deep calculated checks are followed (Route 53 allows calculated children; the constructs nest none). */
const MAX_DEPTH = 2;

/**
 * Route 53's view of a failover record, for `dr status`: read-only calls to its control plane (global, in us-east-1).
 * No call throws: a failure (no permission, no answer, an API that does not support the check) gives `unknown`,
 * undefined or no check, and status shows that.
 */
export class Route53StatusView implements Route53View {
  /** Through the clients given (Route 53's endpoint is global whatever their Region). */
  public static fromClients(clients: AwsClients): Route53StatusView {
    return new Route53StatusView(clients.get(Route53Client));
  }

  constructor(private readonly route53: Route53Client) {}

  /** One ListResourceRecordSets call from the record's name: its A records with Failover PRIMARY or SECONDARY. */
  public async failoverHealthChecks(hostedZoneId: string, recordName: string): Promise<Partial<Record<DrSide, string>>> {
    const wanted = dnsName(recordName);
    const page = await this.route53
      .send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: wanted, StartRecordType: 'A', MaxItems: 10 }))
      .catch(() => undefined);
    const checks: Partial<Record<DrSide, string>> = {};
    for (const r of page?.ResourceRecordSets ?? []) {
      if (dnsName(r.Name ?? '') !== wanted || r.Type !== 'A' || !r.HealthCheckId) continue;
      if (r.Failover === 'PRIMARY') checks.primary = r.HealthCheckId;
      if (r.Failover === 'SECONDARY') checks.standby = r.HealthCheckId;
    }
    return checks;
  }

  /**
   * GetHealthCheck, then: for a calculated check, its children's states against its threshold (GetHealthCheckStatus
   * does not support calculated checks); for any other, GetHealthCheckStatus's checkers (healthy above 18 %).
   */
  public async healthCheckStatus(id: string): Promise<HealthCheckState> {
    return this.stateOf(id, 0).catch(() => 'unknown' as const);
  }

  /** One TestDNSAnswer call (type A): the addresses a Route 53 name server answers with; [] for no answer. */
  public async testDnsAnswer(hostedZoneId: string, name: string): Promise<string[] | undefined> {
    const answer = await this.route53
      .send(new TestDNSAnswerCommand({ HostedZoneId: hostedZoneId, RecordName: dnsName(name), RecordType: 'A' }))
      .catch(() => undefined);
    if (!answer) return undefined;
    return answer.ResponseCode === 'NOERROR' ? (answer.RecordData ?? []).filter((d) => /^\d+\.\d+\.\d+\.\d+$/.test(d)) : [];
  }

  private async stateOf(id: string, depth: number): Promise<HealthCheckState> {
    const config = (await this.route53.send(new GetHealthCheckCommand({ HealthCheckId: id }))).HealthCheck?.HealthCheckConfig;
    if (!config) return 'unknown';
    let state: HealthCheckState;
    if (config.Type === 'CALCULATED') {
      if (depth >= MAX_DEPTH) return 'unknown';
      const children = config.ChildHealthChecks ?? [];
      const states = await Promise.all(children.map((c) => this.stateOf(c, depth + 1).catch(() => 'unknown' as const)));
      state = thresholdState(states, config.HealthThreshold ?? children.length);
    } else {
      const status = await this.route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
      state = checkersState(status.HealthCheckObservations ?? []);
    }
    return config.Inverted ? invert(state) : state;
  }
}

/** Healthy when more than 18 % of the checkers that reported say `Success`; unknown when none reported. */
export function checkersState(observations: readonly HealthCheckObservation[]): HealthCheckState {
  if (observations.length === 0) return 'unknown';
  const ok = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
  return ok / observations.length > HEALTHY_CHECKER_SHARE ? 'healthy' : 'unhealthy';
}

/** A calculated check: healthy when `threshold` children are, unhealthy when too few could be, else unknown. */
export function thresholdState(children: readonly HealthCheckState[], threshold: number): HealthCheckState {
  const healthy = children.filter((s) => s === 'healthy').length;
  const unknown = children.filter((s) => s === 'unknown').length;
  if (healthy >= threshold) return 'healthy';
  return healthy + unknown < threshold ? 'unhealthy' : 'unknown';
}

function invert(state: HealthCheckState): HealthCheckState {
  if (state === 'unknown') return state;
  return state === 'healthy' ? 'unhealthy' : 'healthy';
}

/** A name as Route 53 writes it: lower case, with the trailing dot. */
function dnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
