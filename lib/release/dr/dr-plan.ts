import { DrPlan, DrPlanStep, FailbackOptions, FailoverOptions } from './types';
import { assessFailover } from './failover';
import { assessFailback } from './failback';
import { errorText } from './private/bounded';
import { DrContext } from './private/context';

/** What `dr failover --dry-run` prints: the steps, or the refusal. Reads only. */
export async function planDrFailover(ctx: DrContext, options: FailoverOptions): Promise<DrPlan> {
  let facts;
  try {
    facts = await assessFailover(ctx, await ctx.readRecord(), options);
  } catch (err) {
    return { kind: 'failover', refused: errorText(err), steps: [] };
  }
  if (facts.refused) return { kind: 'failover', refused: facts.refused, steps: [] };
  const standby = `${ctx.standby.region} ${facts.standbyColour}`;
  const s = ctx.settings;
  const steps: DrPlanStep[] = [
    { action: 'record', detail: `write failing-over to the DR record in ${options.outage ? ctx.standby.region : 'both Regions'}` },
    { action: 'scale', detail: `${standby}: ${facts.standbyDesired} → ${Math.max(facts.standbyDesired ?? 0, facts.targetCapacity ?? 0)} instances (${ctx.options.dr.failoverCapacityPercent} % of the primary's ${facts.primaryDesired}, from ${facts.primaryDesiredFrom}; max ${facts.standbyMax})` },
    { action: 'wait-healthy', detail: `${facts.targetCapacity} healthy targets and no firing alarm in ${standby}, at most ${s.healthyTimeoutMs / 1000} s; otherwise undo: capacity back, DNS untouched` },
    { action: 'switch', detail: `write 1 to the drill switch in ${ctx.standby.region} and wait for its alarm to read ALARM (at most ${s.dnsTimeoutMs / 1000} s)` },
    { action: 'wait-dns', detail: `wait for Route 53 to answer ${ctx.standby.region} for ${ctx.options.dr.recordName}` },
    { action: 'verify', detail: `a request through ${ctx.options.dr.recordName} served by ${ctx.standby.region}` },
    { action: 'record', detail: `write failed-over (active Region ${ctx.standby.region}), serving ${facts.standbyImage}` },
  ];
  return { kind: 'failover', steps };
}

/** What `dr failback --dry-run` prints. Reads only. */
export async function planDrFailback(ctx: DrContext, options: FailbackOptions): Promise<DrPlan> {
  let facts;
  try {
    facts = await assessFailback(ctx, await ctx.readRecord(), options);
  } catch (err) {
    return { kind: 'failback', refused: errorText(err), steps: [] };
  }
  if (facts.refused) return { kind: 'failback', refused: facts.refused, steps: [] };
  const s = ctx.settings;
  const steps: DrPlanStep[] = [
    { action: 'record', detail: 'write failing-back to the DR record in both Regions' },
    { action: 'switch', detail: `write 0 to the drill switch in ${ctx.standby.region} and wait for its alarm to leave ALARM (at most ${s.dnsTimeoutMs / 1000} s)` },
    { action: 'wait-dns', detail: `wait for Route 53 to answer ${ctx.primary.region} (${facts.primary?.colour}, ${facts.primary?.health.healthy} healthy, serving ${facts.primary?.image})` },
    { action: 'verify', detail: `a request through ${ctx.options.dr.recordName} served by ${ctx.primary.region}` },
    { action: 'restore', detail: `${ctx.standby.region} ${facts.standbyColour} back to its deployed capacity (${ctx.options.dr.standbyMode})` },
    { action: 'record', detail: 'write normal' },
  ];
  return { kind: 'failback', steps };
}
