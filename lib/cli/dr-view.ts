/**
 * What `bluegreen dr status` prints, and the timelines and plans the other `dr` actions print: from the DR engine's
 * `DrStatus` (lib/release/dr/types.ts) to a view (the `--json` object) and its text lines.
 */
import type { DrDrillSummary, DrOperation, DrPhase, DrTimelineEntry } from '../contract';
import type { DrRegionStatus, DrStatus, DrPlan } from '../release/dr/types';
import { humanDuration } from './durations';

/** One Region in `dr status`. */
export interface DrRegionView extends DrRegionStatus {
  /** Whether Route 53 answers with this Region now. */
  readonly answering: boolean;
}

/** `dr status`; with `--json`, this object with `"kind": "status"`. */
export interface DrStatusView {
  readonly service: string;
  /** ISO time of the reading. */
  readonly at: string;
  /** The pair's phase (`normal` when no record exists yet). */
  readonly phase: DrPhase;
  /** The Region DNS is meant to answer with, per the record. */
  readonly activeRegion: string;
  readonly regions: readonly DrRegionView[];
  readonly switchState: DrStatus['switchState'];
  /** Which side Route 53 answers with, and its Region. */
  readonly dnsAnswering: DrStatus['dnsAnswering'];
  readonly dnsAnsweringRegion: string | null;
  /** Which side Route 53's TestDNSAnswer gives, when Route 53 was read. */
  readonly route53Answer?: DrStatus['route53Answer'];
  readonly ttlSeconds: number;
  readonly worstCaseFailoverSeconds: number;
  readonly versionSkew: boolean;
  /** The record's generation and where it was read, or null when no Region has one. */
  readonly record: { readonly generation: number; readonly since: string; readonly reason: string | null; readonly readFrom: readonly string[] } | null;
  /** The operation in flight, or null. */
  readonly operation: (Omit<DrOperation, 'startedAt' | 'updatedAt' | 'timeline'> & { readonly startedAt: string; readonly heartbeatAgeMs: number }) | null;
  readonly lastDrill: (Omit<DrDrillSummary, 'finishedAt'> & { readonly finishedAt: string }) | null;
  /** Things that need a human, one line each. */
  readonly warnings: string[];
}

/** The view of a `DrStatus` read at `now`. */
export function buildDrView(s: DrStatus, now: number): DrStatusView {
  const r = s.record;
  const phase = r?.phase ?? 'normal';
  const answeringRegion = s.dnsAnswering === 'unknown' ? null : s[s.dnsAnswering].region;
  const region = (x: DrRegionStatus): DrRegionView => ({ ...x, answering: answeringRegion === x.region });
  const op = r?.operation;
  const warnings: string[] = [];
  if (s.versionSkew) warnings.push(`version skew: ${s.primary.region} serves ${s.primary.image ?? '?'}, ${s.standby.region} serves ${s.standby.image ?? '?'}`);
  for (const x of [s.primary, s.standby]) if (!x.reachable) warnings.push(`${x.region} (${x.side}) could not be read: ${x.error ?? 'no answer'}`);
  if (phase === 'failed-over' && s.switchState === 'OK') warnings.push(`failed over but the switch alarm reads OK: Route 53 may send clients back to ${s.primary.region}`);
  return {
    service: s.service,
    at: new Date(now).toISOString(),
    phase,
    activeRegion: r?.activeRegion ?? s.primary.region,
    regions: [region(s.primary), region(s.standby)],
    switchState: s.switchState,
    dnsAnswering: s.dnsAnswering,
    dnsAnsweringRegion: answeringRegion,
    ...(s.route53Answer ? { route53Answer: s.route53Answer } : {}),
    ttlSeconds: s.ttlSeconds,
    worstCaseFailoverSeconds: s.worstCaseFailoverSeconds,
    versionSkew: s.versionSkew,
    record: r ? { generation: r.generation, since: new Date(r.since).toISOString(), reason: r.reason ?? null, readFrom: s.recordRegions } : null,
    operation: op
      ? {
          id: op.id,
          kind: op.kind,
          trigger: op.trigger,
          outage: op.outage,
          owner: op.owner,
          step: op.step,
          ...(op.standbyColour !== undefined ? { standbyColour: op.standbyColour } : {}),
          ...(op.targetCapacity !== undefined ? { targetCapacity: op.targetCapacity } : {}),
          startedAt: new Date(op.startedAt).toISOString(),
          heartbeatAgeMs: Math.max(0, now - op.updatedAt),
        }
      : null,
    lastDrill: r?.lastDrill ? { ...r.lastDrill, finishedAt: new Date(r.lastDrill.finishedAt).toISOString() } : null,
    warnings,
  };
}

/** The text form of `dr status`. */
export function renderDrStatus(v: DrStatusView): string[] {
  const answering = v.dnsAnsweringRegion ? `Route 53 answers ${v.dnsAnswering} ${v.dnsAnsweringRegion}` : 'Route 53 answer unknown';
  const lines = [`${v.service}: ${v.phase.toUpperCase()}; ${answering}`];
  const width = Math.max(...v.regions.map((r) => r.region.length), 'last drill'.length);
  const label = (text: string) => `  ${text.padEnd(width)}  `;
  for (const r of v.regions) {
    lines.push(`${label(r.region)}${regionLine(r)}`);
    if (r.healthCheck) lines.push(`${label('')}health check ${r.healthCheck.id}: ${r.healthCheck.status}`);
  }
  if (v.route53Answer) lines.push(`${label('route 53')}resolver: ${v.dnsAnswering}; Route 53 (TestDNSAnswer): ${v.route53Answer}`);
  lines.push(`${label('switch')}${switchLine(v.switchState)}`);
  lines.push(
    `${label('dns')}TTL ${v.ttlSeconds}s; worst case ${humanDuration(v.worstCaseFailoverSeconds * 1000)} from a primary failure to Route 53 answering the standby on its own`,
  );
  lines.push(`${label('versions')}${versionsLine(v)}`);
  lines.push(`${label('record')}${recordLine(v)}`);
  if (v.operation) lines.push(`${label('operation')}${operationLine(v)}`);
  lines.push(`${label('last drill')}${drillLine(v)}`);
  for (const w of v.warnings) lines.push(`warning: ${w}`);
  return lines;
}

function regionLine(r: DrRegionView): string {
  const role = `${r.side}${r.answering ? ' (answering)' : ''}`.padEnd(20);
  if (!r.reachable) return `${role}UNREACHABLE: ${r.error ?? 'no answer'}`;
  const alarms = r.firingAlarms?.length ? `ALARM: ${r.firingAlarms.join(', ')}` : 'no alarm firing';
  const live = r.liveColour ? `${r.liveColour} live` : 'weights split';
  return `${role}${live}, image ${r.image ?? '?'}, desired ${r.desired ?? '?'}, ${r.healthy ?? '?'} healthy; ${alarms}; ${r.release ? `release ${r.release}` : 'no release in progress'}`;
}

function switchLine(state: DrStatusView['switchState']): string {
  switch (state) {
    case 'ALARM':
      return 'ALARM: failover latched (DNS answers the standby until dr failback)';
    case 'OK':
    case 'INSUFFICIENT_DATA':
      return `${state}: DNS follows the primary's health`;
    default:
      return 'unknown: the switch alarm could not be read';
  }
}

function versionsLine(v: DrStatusView): string {
  const [p, s] = v.regions;
  if (v.versionSkew) return `SKEW: ${p.region} serves ${p.image ?? '?'}, ${s.region} serves ${s.image ?? '?'}`;
  return p.image !== undefined && p.image === s.image ? `both Regions serve ${p.image}` : `${p.region} serves ${p.image ?? '?'}, ${s.region} serves ${s.image ?? '?'}`;
}

function recordLine(v: DrStatusView): string {
  const r = v.record;
  if (!r) return 'none yet (never failed over): normal';
  const reason = r.reason ? ` (${r.reason})` : '';
  return `generation ${r.generation}, read from ${r.readFrom.join(', ') || 'no Region'}; ${v.phase} since ${r.since}${reason}; active ${v.activeRegion}`;
}

function operationLine(v: DrStatusView): string {
  const o = v.operation!;
  const how = [o.trigger, ...(o.outage ? ['outage'] : [])].join(', ');
  const age = humanDuration(Math.floor(o.heartbeatAgeMs / 1000) * 1000);
  return `${o.kind} ${o.id} (${how}) by ${o.owner}, last step ${o.step}, heartbeat ${age} ago: if its process is gone, run bluegreen dr resume ${v.service}`;
}

function drillLine(v: DrStatusView): string {
  const d = v.lastDrill;
  if (!d) return 'none yet: run bluegreen dr drill ' + v.service;
  const recovery = d.recoveryMs !== undefined ? `, recovery ${humanDuration(d.recoveryMs)}` : '';
  const report = d.report ? `, report ${d.report}` : '';
  return `${d.id} ${d.outcome} at ${d.finishedAt}${recovery}${report}`;
}

/** A timeline as lines: `+1m23s  dns-moved  detail`, times from the first entry. */
export function renderTimeline(timeline: readonly DrTimelineEntry[]): string[] {
  if (timeline.length === 0) return [];
  const t0 = timeline[0].at;
  const width = Math.max(...timeline.map((e) => e.mark.length));
  return timeline.map((e) => {
    const at = `  +${humanDuration(Math.max(0, e.at - t0)).padEnd(7)} `;
    return e.detail ? `${at}${e.mark.padEnd(width)}  ${e.detail}` : `${at}${e.mark}`;
  });
}

/** A plan as numbered lines. */
export function renderPlan(plan: DrPlan): string[] {
  return plan.steps.map((s, i) => `  ${i + 1}. ${s.action}: ${s.detail}`);
}
