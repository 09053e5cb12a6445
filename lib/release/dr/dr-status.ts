import { worstCaseFailoverSeconds } from '../../contract';
import { DrRegionStatus, DrStatus } from './types';
import { DrSide } from './ports';
import { errorText } from './private/bounded';
import { DrContext } from './private/context';
import { readRoute53, Route53Reading } from './private/route53-view';
import { readServing } from './private/serving';

/** `dr status`: reads both Regions (each bounded by the Region timeout), the record, the switch and DNS. */
export async function readDrStatus(ctx: DrContext): Promise<DrStatus> {
  const route53 = ctx.ports.route53;
  const [primaryRead, standbyRead, r53] = await Promise.all([
    regionStatus(ctx, 'primary'),
    regionStatus(ctx, 'standby'),
    route53 ? readRoute53(ctx, route53) : Promise.resolve(undefined),
  ]);
  const primary = withHealthCheck(primaryRead, r53);
  const standby = withHealthCheck(standbyRead, r53);
  let record;
  try {
    record = await ctx.readRecord();
  } catch {
    record = undefined;
  }
  const switchState = await ctx.ports.dnsSwitch.state().catch(() => 'unknown' as const);
  const dnsAnswering = await ctx.ports.dns.answering().catch(() => 'unknown' as const);
  const dns = ctx.options.dr.dns;
  // A service with no copy anywhere reads as a fresh `normal` record at generation 0: report it as none.
  const stored = record && record.generation > 0 ? record : undefined;
  return {
    service: ctx.service,
    ...(stored ? { record: stored } : {}),
    recordRegions: record ? ctx.store.regions : [],
    primary,
    standby,
    switchState,
    dnsAnswering,
    ...(r53 ? { route53Answer: r53.answer } : {}),
    ttlSeconds: dns.ttlSeconds,
    worstCaseFailoverSeconds: worstCaseFailoverSeconds(dns),
    versionSkew: primary.image !== undefined && standby.image !== undefined && primary.image !== standby.image,
  };
}

async function regionStatus(ctx: DrContext, side: DrSide): Promise<DrRegionStatus> {
  const link = ctx.link(side);
  const base = { region: link.region, side };
  try {
    const serving = await readServing(link);
    const release = await link.call('release record', (s) => s.releaseActivity());
    return {
      ...base,
      reachable: true,
      liveColour: serving.colour,
      image: serving.image,
      desired: serving.capacity.desired,
      healthy: serving.health.healthy,
      firingAlarms: serving.firing,
      ...(release.inProgress ? { release: release.detail } : {}),
    };
  } catch (err) {
    return { ...base, reachable: false, error: errorText(err) };
  }
}

/** A Region's status with its failover record's health check (Route 53 is global: known even when the Region is not). */
function withHealthCheck(status: DrRegionStatus, r53: Route53Reading | undefined): DrRegionStatus {
  const healthCheck = r53?.healthChecks[status.side];
  return healthCheck ? { ...status, healthCheck } : status;
}
