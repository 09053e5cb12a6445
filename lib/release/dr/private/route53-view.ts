import { regionalRecordName } from '../../../contract';
import { sideOf } from '../dns-side';
import { DrSide, HealthCheckState, Route53View } from '../ports';
import { DrRegionStatus } from '../types';
import { bounded } from './bounded';
import { DrContext } from './context';

/** What `dr status` shows of Route 53's own view. */
export interface Route53Reading {
  /** Each side's failover-record health check, when known. */
  readonly healthChecks: Partial<Record<DrSide, DrRegionStatus['healthCheck']>>;
  /** Which side TestDNSAnswer says the failover record answers. */
  readonly answer: DrSide | 'unknown';
}

/**
 * Route 53's view of the pair: the failover records' health checks and their states, and which side TestDNSAnswer
 * gives for the failover record (its addresses against the two Region records', all three asked of Route 53 itself,
 * so no resolver cache stands between). Each read is bounded by the Region timeout, in two rounds (the records and
 * TestDNSAnswer, then the checks' states: at most twice the timeout); none fails the status.
 */
export async function readRoute53(ctx: DrContext, view: Route53View): Promise<Route53Reading> {
  const dr = ctx.options.dr;
  const within = <T>(what: string, call: () => Promise<T>, fallback: T): Promise<T> =>
    bounded(ctx.clock, ctx.settings.regionTimeoutMs, `Route 53 ${what}`, call).catch(() => fallback);
  const names = [dr.recordName, regionalRecordName(dr.primaryRegion, dr.recordName), regionalRecordName(dr.standbyRegion, dr.recordName)];
  const [checks, answers] = await Promise.all([
    within('record sets', () => view.failoverHealthChecks(dr.hostedZoneId, dr.recordName), {}),
    Promise.all(names.map((name) => within(`TestDNSAnswer ${name}`, () => view.testDnsAnswer(dr.hostedZoneId, name), undefined))),
  ]);
  // The standby's descriptor names its own check: a fallback when the zone's records could not be read.
  const ids: Partial<Record<DrSide, string>> = { ...(dr.healthCheckId ? { standby: dr.healthCheckId } : {}), ...checks };
  const healthChecks: Partial<Record<DrSide, DrRegionStatus['healthCheck']>> = {};
  await Promise.all(
    (['primary', 'standby'] as const).map(async (side) => {
      const id = ids[side];
      if (id === undefined) return;
      const status = await within(`health check ${id}`, () => view.healthCheckStatus(id), 'unknown' as HealthCheckState);
      healthChecks[side] = { id, status };
    }),
  );
  const [record, primary, standby] = answers;
  return { healthChecks, answer: record ? sideOf(record, primary ?? [], standby ?? []) : 'unknown' };
}
