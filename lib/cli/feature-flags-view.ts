/**
 * What `bluegreen flags <service>` and the flags line of `bluegreen status` show: every flag with its live value,
 * default, owner, age, expiry and status; the debt and how to clear it; the running deployment; the monitor; the
 * recent changes. Pure: built from the engine's listing.
 */
import type { FeatureFlagChange } from '../contract';
import { FEATURE_FLAG_KILL_TIMEOUT_MAX_MS } from '../contract';
import type { FeatureFlagListing, FeatureFlagView } from '../release/feature-flags/types';
import { describeDeployment } from '../release/feature-flags/types';

/** One Region's listing. */
export interface RegionFeatureFlags extends FeatureFlagListing {
  readonly region: string;
}

/** `bluegreen flags <service>`; with `--json`, this object with `"kind": "status"`. */
export interface FeatureFlagsView {
  readonly service: string;
  /** One Region, or both of a disaster-recovery pair (primary first). */
  readonly regions: readonly RegionFeatureFlags[];
  /** Regions of the pair whose flags could not be read, and why. */
  readonly unreadable?: readonly { readonly region: string; readonly error: string }[];
}

const DAY_MS = 86_400_000;

/** `12d`, `5h`, `40m`: how old, or how long left, at a glance. */
export function roughAge(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= DAY_MS) return `${Math.floor(abs / DAY_MS)}d`;
  if (abs >= 3_600_000) return `${Math.floor(abs / 3_600_000)}h`;
  return `${Math.floor(abs / 60_000)}m`;
}

const onOff = (v: boolean | null, none: string) => (v === null ? none : v ? 'on' : 'off');

function expiryText(f: FeatureFlagView): string {
  if (!f.expiry) return '-';
  if (f.expiresInMs === null) return f.expiry;
  return f.expiresInMs > 0 ? `${f.expiry} (in ${roughAge(f.expiresInMs)})` : `${f.expiry} (${roughAge(f.expiresInMs)} ago)`;
}

/** The text form of `bluegreen flags <service>`. */
export function renderFeatureFlags(v: FeatureFlagsView): string[] {
  const lines: string[] = [];
  v.regions.forEach((r, i) => {
    if (i > 0) lines.push('');
    lines.push(...renderRegion(v.service, r));
  });
  for (const u of v.unreadable ?? []) {
    lines.push('');
    lines.push(`${v.service} (${u.region}): could not be read: ${u.error}`);
  }
  return lines;
}

function renderRegion(service: string, r: RegionFeatureFlags): string[] {
  const n = r.flags.length;
  const live = r.liveVersion === null ? 'nothing deployed yet, apps use their defaults' : `live version ${r.liveVersion}${r.liveDeployment ? ` (deployment ${r.liveDeployment.deploymentNumber})` : ''}`;
  const lines = [`${service} (${r.region}): ${n === 1 ? '1 feature flag' : `${n} feature flags`}; ${live}; declared version ${r.declaredVersion}`];
  if (n > 0) {
    const rows = [['FLAG', 'LIVE', 'DEFAULT', 'OWNER', 'AGE', 'EXPIRY', 'STATUS']];
    for (const f of r.flags) {
      rows.push([f.name, onOff(f.live, '-'), onOff(f.default, '-'), f.owner || '-', f.ageMs === null ? '-' : roughAge(f.ageMs), expiryText(f), f.status]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    for (const row of rows) lines.push(`  ${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')}`);
  }
  const undeclared = r.flags.filter((f) => f.status === 'undeclared');
  if (undeclared.length) lines.push(`  undeclared   ${undeclared.map((f) => f.name).join(', ')}: live but no longer declared; the next flags set or kill drops them`);
  lines.push(`  deployment   ${r.running ? `${describeDeployment(r.running)} running` : 'none running'}`);
  if (r.running && r.rollout) {
    // LIVE is the COMPLETE version; a running deployment already reaches its percentage (BAKING: every instance).
    const what = r.rollout.length ? r.rollout.map((f) => `${f.flag} ${onOff(f.enabled, 'removed')}`).join(', ') : 'no flag value changed';
    lines.push(`               deployment ${r.running.deploymentNumber} ${r.running.state}: serving version ${r.running.version} (${what}) to ${Math.round(r.running.percentageComplete)} %`);
  }
  lines.push(`  monitor      ${r.monitor.name} ${r.monitor.state}, actions ${r.monitor.actionsEnabled ? 'enabled' : 'DISABLED: AppConfig will not roll a bad flag change back'}`);
  for (const h of r.monitorSuspensions) {
    const dead = Date.parse(r.at) - Date.parse(h.since) > FEATURE_FLAG_KILL_TIMEOUT_MAX_MS;
    lines.push(`               held by a kill of ${h.flag} by ${h.by} since ${h.since}${dead ? ' (older than the longest kill: it died; the next flags set clears it)' : ''}`);
  }
  const debt = r.flags.filter((f) => f.status === 'debt');
  if (debt.length) {
    lines.push(`Debt: ${debt.length === 1 ? '1 flag' : `${debt.length} flags`} past expiry`);
    for (const f of debt) lines.push(`  ${f.name} (owner ${f.owner || 'unknown'}), expired ${f.expiry}`);
    lines.push(`  To clear: remove the code path that reads the flag, remove it from flags/${service}.json, then cdk deploy.`);
  }
  lines.push(r.changes.length ? 'Recent changes:' : 'Recent changes: none recorded');
  for (const c of r.changes) lines.push(`  ${changeLine(c)}`);
  return lines;
}

/** `2030-01-10T11:00:00Z kill release-x off by me: "5xx" complete (deployment 5, version 9)`. */
export function changeLine(c: FeatureFlagChange): string {
  const where = [c.deploymentNumber !== undefined ? `deployment ${c.deploymentNumber}` : '', c.version ? `version ${c.version}` : '', c.stoppedDeployment !== undefined ? `stopped deployment ${c.stoppedDeployment}` : '']
    .filter(Boolean)
    .join(', ');
  return `${c.at} ${c.kind} ${c.flag} ${c.enabled ? 'on' : 'off'} by ${c.by}${c.reason ? `: ${JSON.stringify(c.reason)}` : ''} ${c.outcome}${where ? ` (${where})` : ''}${c.detail ? `: ${c.detail}` : ''}`;
}

/** The flags line of `bluegreen status`: `3 declared, 1 on, 1 debt; deployment 4 BAKING 100 %`. */
export function featureFlagsStatusLine(r: FeatureFlagListing): string {
  const declared = r.flags.filter((f) => f.status !== 'undeclared');
  const on = r.flags.filter((f) => f.live === true).length;
  const debt = r.flags.filter((f) => f.status === 'debt').length;
  const deployment = r.running ? `deployment ${r.running.deploymentNumber} ${r.running.state} ${Math.round(r.running.percentageComplete)} %` : r.liveVersion === null ? 'nothing deployed' : `live version ${r.liveVersion}`;
  const monitor = r.monitor.actionsEnabled ? '' : '; monitor actions DISABLED';
  return `${declared.length} declared, ${on} on, ${debt} debt; ${deployment}${monitor}`;
}
