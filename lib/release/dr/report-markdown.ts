import { DrillReport } from './types';

/**
 * The drill report for the on-call engineer: the outcome and the client-observed recovery time against the worst
 * case the DNS settings imply first, then the phases, capacity over time, versions, hold checks and what was left.
 */
export function renderDrillMarkdown(report: DrillReport): string {
  return [
    `# DR drill ${report.drillId}: ${report.service}`,
    '',
    ...headline(report),
    '',
    '## Phases',
    '',
    ...phaseTable(report),
    '',
    '## Capacity over time',
    '',
    ...capacityTable(report),
    '',
    '## Versions',
    '',
    `- primary (${report.primaryRegion}): ${report.versions.primary ?? 'unknown'}`,
    `- standby (${report.standbyRegion}): ${report.versions.standby ?? 'unknown'}`,
    ...(report.versions.primary && report.versions.standby && report.versions.primary !== report.versions.standby ? ['- **version skew**: the standby served another version than the primary'] : []),
    '',
    '## Hold checks',
    '',
    `${report.holdChecks.ok} of ${report.holdChecks.total} requests through the record were served by the standby during the hold.`,
    '',
    '## Left running',
    '',
    report.leftRunning,
    '',
  ].join('\n');
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? 'not reached' : `${(ms / 1000).toFixed(1)} s`;
}

function utc(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function headline(r: DrillReport): string[] {
  const d = r.dns;
  const passed = r.outcome === 'passed';
  return [
    `**Outcome: ${passed ? 'PASSED' : 'FAILED'}**${passed ? '' : ` (${r.outcome.replace(/^failed:\s*/, '')})`}`,
    '',
    `- Client-observed recovery (decision to first request served by the standby): **${seconds(r.recoveryMs)}**`,
    `- Worst case the DNS settings imply for a real outage: **${r.worstCaseDnsSeconds} s** (health check ${d.intervalSeconds} s × ${d.failureThreshold} + TTL ${d.ttlSeconds} s + alarm period ${d.alarmPeriodSeconds} s)`,
    `- Failback (decision to first request served by the primary): ${seconds(r.failbackMs)}`,
    `- ${r.primaryRegion} (primary) → ${r.standbyRegion} (standby, ${r.standbyMode}); ${utc(r.startedAt)} to ${utc(r.finishedAt)} (${seconds(r.finishedAt - r.startedAt)})`,
  ];
}

function phaseTable(r: DrillReport): string[] {
  if (r.timeline.length === 0) return ['No phase was reached.'];
  const trigger = r.timeline.find((e) => e.mark === 'decision')?.at ?? r.timeline[0].at;
  // A mark ends its phase: the time a phase took is the gap since the previous mark (the switch's wait shows on
  // dns-moved, not on standby-healthy), so a long row names where the time went.
  const rows = r.timeline.map((e, i) => {
    const previous = r.timeline[i - 1];
    const took = previous ? seconds(e.at - previous.at) : '';
    return `| ${e.mark} | ${utc(e.at)} | +${((e.at - trigger) / 1000).toFixed(1)} s | ${took} | ${(e.detail ?? '').replace(/\|/g, '\\|')} |`;
  });
  return ['| Phase | Time (UTC) | From trigger | Took (since the previous mark) | Detail |', '|---|---|---|---|---|', ...rows];
}

function capacityTable(r: DrillReport): string[] {
  if (r.capacity.length === 0) return ['No capacity samples.'];
  // Keep a sample only when something changed, so a long hold stays readable.
  const rows: string[] = [];
  const last = new Map<string, string>();
  for (const s of r.capacity) {
    const key = `${s.desired}/${s.healthy}`;
    if (last.get(s.side) === key) continue;
    last.set(s.side, key);
    rows.push(`| ${utc(s.at)} | ${s.side} | ${s.desired} | ${s.healthy} |`);
  }
  return ['| Time (UTC) | Side | Desired | Healthy |', '|---|---|---|---|', ...rows];
}
