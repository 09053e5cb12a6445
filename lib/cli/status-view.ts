import { ColourDescriptor, HookKindName, HookPointName, HookRunRecord, ManifestDocument, ServiceDescriptor } from '../contract';
import { ColourName, ColourStatus, COLOUR_NAMES, describeProgress, formatWeights, otherColour, ReleaseState, ServiceStatus } from '../release';
import { clockTime, humanDuration } from './durations';
import { namesDeployedImage } from './image-reference';
import { countsLine, QuarantineCountsView } from './quarantine-view';
import { describeBake, gateVerdict, releaseProgress, ReleaseProgress } from './release-progress';

/** One colour in `status`. */
export interface ColourView extends Omit<ColourStatus, 'colour'> {
  /** `live` (all traffic), `idle` (none) or `serving` (part of split weights). */
  readonly role: 'live' | 'idle' | 'serving';
  /** Image fingerprint of the last deploy (`ami-…`, `ssm:<name>`, `baked:<name>@<version>`). */
  readonly image: string;
  /** AMI id the colour runs, as resolved at the last deploy. */
  readonly imageId: string;
  /** Capacity mode of the last deploy. */
  readonly deployedMode: string;
  /** Names of the colour's alarms, from the descriptor. */
  readonly alarms: ColourDescriptor['alarms'];
  /** The manifest's entry for the colour, when the manifest was read. */
  readonly manifest?: { readonly image: string; readonly mode: string };
}

/** What `status` prints; with `--json`, this object with `"kind": "status"`. */
export interface StatusView {
  readonly service: string;
  readonly region: string;
  /** ISO time of the reading. */
  readonly at: string;
  /** The colour with all traffic, or null when split. */
  readonly live: ColourName | null;
  readonly weights: { readonly blue: number; readonly green: number };
  /** Where the test route points. */
  readonly testTarget: ColourName;
  readonly colours: { readonly blue: ColourView; readonly green: ColourView };
  /** The release record (in progress or the last one), or null when the service never had a release. */
  readonly release: ReleaseView | null;
  /** Whether the old colour of the last release is past its scale-down time. */
  readonly scaleDownDue: boolean;
  /** The manifest file read, or null when there is none. */
  readonly manifestPath: string | null;
  /** Things that need a human, one line each. */
  readonly warnings: string[];
  /** A service with a standby Region: which version each Region's live colour serves (this Region first). */
  readonly regions?: readonly RegionVersionView[];
  /**
   * A service with `healing.quarantine`: instances kept per colour against the caps, and recent replacements against
   * the flapping threshold (`bluegreen quarantine <service>` lists the instances). Absent for a service without.
   */
  readonly quarantine?: QuarantineStatusView;
  /**
   * A service with feature flags: counts, the running deployment and the monitor in one line (`bluegreen flags
   * <service>` lists them). Absent for a service without.
   */
  readonly featureFlags?: FeatureFlagsStatusView;
}

/** The feature flags in `status`: one line and its counts, or why they could not be read. */
export type FeatureFlagsStatusView =
  | { readonly declared: number; readonly on: number; readonly debt: number; readonly monitorActionsEnabled: boolean; readonly line: string }
  | { readonly error: string };

/** The view with the feature flags' line. */
export function withFeatureFlags(view: StatusView, featureFlags: FeatureFlagsStatusView): StatusView {
  return { ...view, featureFlags };
}

/** The quarantine in `status`: its counts, or why the record could not be read. */
export type QuarantineStatusView = QuarantineCountsView | { readonly error: string };

/** The view with the quarantine's counts. */
export function withQuarantine(view: StatusView, quarantine: QuarantineStatusView): StatusView {
  return { ...view, quarantine };
}

/** One Region of a disaster-recovery pair in `status`. */
export interface RegionVersionView {
  readonly region: string;
  readonly role: 'primary' | 'standby';
  /** Image fingerprint the live colour serves; null when weights are split or the Region could not be read. */
  readonly serving: string | null;
  /** Why the Region could not be read. */
  readonly error?: string;
}

/** The view with the pair's Regions, and a warning when they serve different versions. */
export function withRegions(view: StatusView, regions: readonly RegionVersionView[]): StatusView {
  const serving = new Set(regions.filter((r) => r.serving !== null).map((r) => r.serving));
  const skew = serving.size > 1 ? [`version skew: ${regions.map((r) => `${r.region} serves ${r.serving ?? '?'}`).join(', ')}; release the standby with --region-only`] : [];
  return { ...view, regions, warnings: [...view.warnings, ...skew] };
}

/** The release record with what `status` derives from it. */
export interface ReleaseView {
  readonly releaseId: string;
  readonly status: string;
  readonly stable: ColourName;
  readonly candidate: ColourName;
  readonly steps: readonly number[];
  readonly stepIndex: number;
  /** `step 2/4 (50 %)`. */
  readonly progress: string;
  readonly owner: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly heartbeatAgeMs: number;
  /** Lease of a release in progress (a stale one may be resumed by anyone). */
  readonly leaseMs: number | null;
  readonly inProgress: boolean;
  /** In progress with no heartbeat for longer than its lease: run resume or rollback. */
  readonly stale: boolean;
  readonly reason: string | null;
  /** When the old colour may go to standby (ISO), if scheduled. */
  readonly scaleDownAt: string | null;
  /** A release in progress that waits for approval (`approve` continues it, `rollback` ends it); null otherwise. */
  readonly awaitingApproval: AwaitingApprovalView | null;
  /** The release's hook runs, in order (a contract hook deferred at a release point is in `contracts`). */
  readonly hooks: readonly HookRunView[];
  /** The release's contract hooks: deferred (with when they become allowed), or as `bluegreen contract` ran them. */
  readonly contracts: readonly ContractView[];
  /**
   * A release in progress: the step's bake (estimated from the release's start; null when it cannot be told), the
   * ETA of promotion (an upper bound when the bake is unknown), and the candidate's gate as this reading saw it.
   */
  readonly live?: {
    readonly bakedMs: number | null;
    readonly bakeMs: number;
    readonly eta: string;
    readonly etaUpperBound: boolean;
    readonly gate: { readonly passing: boolean; readonly detail: string };
  };
}

/** Why and since when a release waits for approval. */
export interface AwaitingApprovalView {
  /** ISO time it began to wait. */
  readonly since: string;
  readonly waitingMs: number;
  /**
   * The step it applies once approved, 1-based, and that step's share; one past the last step when it waits before
   * promotion (an inconclusive pre-promotion hook).
   */
  readonly beforeStep: number;
  readonly percent: number;
  /** `pause`: a declared pause; `inconclusive`: a hook could not decide. */
  readonly reason: 'pause' | 'inconclusive';
  readonly detail: string;
}

/** One hook run of a release. */
export interface HookRunView {
  readonly hook: string;
  readonly point: HookPointName;
  readonly kind: HookKindName;
  /** 1-based step of a step hook. */
  readonly step: number | null;
  /** `running`, `passed`, `failed`, `inconclusive`. */
  readonly status: string;
  readonly attempts: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** What the hook said, or why it failed (a command's exit and its last lines of output). */
  readonly detail: string | null;
}

/** A contract hook of the release: when it may run, or how it ran. */
export interface ContractView {
  readonly hook: string;
  readonly kind: HookKindName;
  /** `deferred` (not run yet), or as `bluegreen contract` left it: `running`, `passed`, `failed`, `inconclusive`. */
  readonly status: string;
  /** Whether `bluegreen contract` would run it now (the release succeeded and its old colour is in standby). */
  readonly allowed: boolean;
  /** When it becomes allowed, as far as the record tells (the old colour's scale-down time, ISO); null when not known. */
  readonly allowedAfter: string | null;
  /** One line: when and how it becomes allowed, or what happened. */
  readonly when: string;
  readonly attempts: number;
  readonly detail: string | null;
}

/** The status view from the engine's status, the descriptor and the manifest (if any). */
export function buildView(
  status: ServiceStatus,
  descriptor: ServiceDescriptor,
  manifest: ManifestDocument | undefined,
  manifestPath: string | null,
  /** When the current step's bake began, if a watcher saw the step change. */
  bakeStartedAt?: number,
): StatusView {
  const colour = (c: ColourName): ColourView => {
    const { colour: _named, ...s }: ColourStatus = status[c];
    const d = descriptor.colours[c];
    const entry = manifest?.[c];
    return {
      role: status.live === c ? 'live' : s.weight > 0 ? 'serving' : 'idle',
      ...s,
      image: d.image,
      imageId: d.imageId,
      deployedMode: d.mode,
      alarms: d.alarms,
      ...(entry ? { manifest: { image: entry.image, mode: entry.mode } } : {}),
    };
  };
  const colours = { blue: colour('blue'), green: colour('green') };
  return {
    service: status.service,
    region: descriptor.region,
    at: new Date(status.at).toISOString(),
    live: status.live ?? null,
    weights: status.weights,
    testTarget: status.testTarget,
    colours,
    release: releaseView(status, colours, bakeStartedAt),
    scaleDownDue: status.scaleDownDue,
    manifestPath,
    warnings: [...engineWarnings(status), ...manifestWarnings(status, colours, manifestPath)],
  };
}

function releaseView(status: ServiceStatus, colours: { blue: ColourView; green: ColourView }, bakeStartedAt?: number): ReleaseView | null {
  const r = status.release;
  if (!r) return null;
  const waiting = awaitingOf(status);
  let live: ReleaseView['live'];
  if (status.releaseInProgress) {
    const p = releaseProgress(r, status.at, bakeStartedAt);
    const gate = gateVerdict(r.candidate, colours[r.candidate]);
    live = {
      bakedMs: p.bakedMs ?? null,
      bakeMs: p.bakeMs,
      eta: new Date(p.etaAt).toISOString(),
      etaUpperBound: p.etaUpperBound,
      gate: { passing: gate.passing, detail: gate.text },
    };
  }
  return {
    releaseId: r.releaseId,
    status: r.status,
    stable: r.stable,
    candidate: r.candidate,
    steps: r.steps,
    stepIndex: r.stepIndex,
    progress: describeProgress(r),
    owner: r.owner,
    startedAt: new Date(r.startedAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    heartbeatAgeMs: status.heartbeatAgeMs ?? 0,
    leaseMs: status.leaseMs ?? null,
    inProgress: status.releaseInProgress,
    // A release that waits for approval has no driver by design: it is not interrupted.
    stale: status.releaseStale && !waiting,
    reason: r.reason ?? null,
    scaleDownAt: r.scaleDownAt !== undefined ? new Date(r.scaleDownAt).toISOString() : null,
    awaitingApproval: waiting,
    hooks: (r.hooks ?? []).filter((h) => h.status !== 'deferred').map(hookRunView),
    contracts: contractViews(status, colours),
    ...(live ? { live } : {}),
  };
}

/** The wait for approval of the release in progress, if it waits. */
function awaitingOf(status: ServiceStatus): AwaitingApprovalView | null {
  const r = status.release;
  const a = status.releaseInProgress ? r?.awaitingApproval : undefined;
  if (!r || !a) return null;
  return {
    since: new Date(a.since).toISOString(),
    waitingMs: Math.max(0, status.at - a.since),
    beforeStep: a.beforeStep + 1,
    percent: r.steps[a.beforeStep] ?? 100,
    reason: a.reason,
    detail: a.detail,
  };
}

function hookRunView(h: HookRunRecord): HookRunView {
  return {
    hook: h.hook,
    point: h.point,
    kind: h.kind,
    step: h.step ?? null,
    status: h.status,
    attempts: h.attempts,
    startedAt: new Date(h.startedAt).toISOString(),
    endedAt: h.endedAt !== undefined ? new Date(h.endedAt).toISOString() : null,
    detail: h.detail ?? null,
  };
}

/**
 * The release's contract hooks: those its release points deferred (`hooks`, status `deferred`) and those
 * `bluegreen contract` ran (`contracts`, which say how they went), each once.
 */
function contractViews(status: ServiceStatus, colours: { blue: ColourView; green: ColourView }): ContractView[] {
  const r = status.release;
  if (!r) return [];
  const byName = new Map<string, HookRunRecord>();
  for (const h of r.hooks ?? []) if (h.status === 'deferred') byName.set(h.hook, h);
  for (const h of r.contracts ?? []) byName.set(h.hook, h);
  const gate = contractGate(r, status, colours);
  return [...byName.values()].map((h) => {
    const ran = h.status !== 'deferred';
    const when = h.status === 'passed' ? `passed ${clockTime(h.endedAt ?? h.startedAt)}` : ran ? `${h.status} (run again with 'bluegreen contract ${r.service}')` : gate.when;
    return { hook: h.hook, kind: h.kind, status: h.status, allowed: h.status !== 'passed' && gate.allowed, allowedAfter: gate.allowedAfter, when, attempts: h.attempts, detail: h.detail ?? null };
  });
}

/** Whether `bluegreen contract` may run the contract hooks of `r` now, and if not, when. */
function contractGate(r: ReleaseState, status: ServiceStatus, colours: { blue: ColourView; green: ColourView }): { allowed: boolean; allowedAfter: string | null; when: string } {
  const service = r.service;
  const contract = `'bluegreen contract ${service}'`;
  const scaleDown = `'bluegreen scale-down ${service}'`;
  const old = colours[r.stable];
  switch (r.status) {
    case 'in-progress':
      return { allowed: false, allowedAfter: null, when: `deferred: allowed once this release is promoted and ${r.stable} is in standby (${scaleDown}), then ${contract}` };
    case 'succeeded':
      break;
    default:
      return { allowed: false, allowedAfter: null, when: `not run: the release was ${r.status}, so ${r.stable} still serves the old version` };
  }
  // As the engine's contract() judges it: standby recorded, and no capacity or weight on the old colour.
  if (r.scaledDownAt !== undefined) {
    if (old.desired === 0 && old.weight === 0) return { allowed: true, allowedAfter: null, when: `deferred: allowed now (${r.stable} is in standby): run ${contract}` };
    return { allowed: false, allowedAfter: null, when: `deferred: ${r.stable} was put in standby but has desired ${old.desired}, weight ${old.weight} %: run ${scaleDown} --force, then ${contract}` };
  }
  if (r.scaleDownAt === undefined) {
    return { allowed: false, allowedAfter: null, when: `deferred: ${r.stable} can still take traffic back; put it in standby (${scaleDown} --force), then ${contract}` };
  }
  const at = new Date(r.scaleDownAt).toISOString();
  if (status.scaleDownDue) return { allowed: false, allowedAfter: at, when: `deferred: the scale-down of ${r.stable} is due (${at}): run ${scaleDown}, then ${contract}` };
  return {
    allowed: false,
    allowedAfter: at,
    when: `deferred: allowed after ${at} (in ${humanDuration(Math.floor((r.scaleDownAt - status.at) / 1000) * 1000)}), once ${scaleDown} has put ${r.stable} in standby (or now with --force), then ${contract}`,
  };
}

/**
 * The engine's warnings, but for a release that waits for approval: the headline and the release line say so, and
 * what to run (`awaitingApproval` in `--json`); it is not interrupted, having no driver by design.
 */
function engineWarnings(status: ServiceStatus): string[] {
  const r = status.release;
  if (!r || !status.releaseInProgress || !r.awaitingApproval) return status.warnings;
  const said = [`release ${r.releaseId} was interrupted`, `release ${r.releaseId} awaits approval`];
  return status.warnings.filter((w) => !said.some((s) => w.startsWith(s)));
}

/** The progress of the release in a view, for headlines. */
export function progressOf(v: StatusView): ReleaseProgress | undefined {
  const r = v.release;
  if (!r?.live || !r.inProgress) return undefined;
  const step = r.stepIndex + 1;
  return {
    step,
    steps: r.steps.length,
    percent: step > 0 ? r.steps[r.stepIndex] : 0,
    bakeMs: r.live.bakeMs,
    bakedMs: r.live.bakedMs ?? undefined,
    etaAt: Date.parse(r.live.eta),
    etaUpperBound: r.live.etaUpperBound,
  };
}

/**
 * The first line of `status`: the live colour, or during a release its step, bake, ETA and the gate's verdict,
 * e.g. `web (eu-west-1): RELEASING green: step 2/5 (25 %), baked ~1m30s of 5m, ETA ~12:25:03Z; gate passing (…)`.
 */
export function headline(v: StatusView): string {
  const r = v.release;
  const p = progressOf(v);
  if (r && p && r.live) {
    const where = p.step > 0 ? `step ${p.step}/${p.steps} (${p.percent} %)` : `before step 1/${p.steps}`;
    if (r.awaitingApproval) return `${v.service} (${v.region}): AWAITING APPROVAL: ${r.candidate} at ${where}, ${describeWait(r.awaitingApproval, r.steps.length)}; gate ${r.live.gate.detail}`;
    if (r.stale) {
      const age = humanDuration(Math.floor(r.heartbeatAgeMs / 1000) * 1000);
      return (
        `${v.service} (${v.region}): RELEASE INTERRUPTED: ${r.candidate} at ${where}, no heartbeat from ${r.owner} for ${age}; ` +
        `gate ${r.live.gate.detail}. Run bluegreen resume ${v.service}, or bluegreen rollback ${v.service}`
      );
    }
    return `${v.service} (${v.region}): RELEASING ${r.candidate}: ${where}, ${describeBake(p)}; gate ${r.live.gate.detail}`;
  }
  return `${v.service} (${v.region}): ${v.live ? `${v.live} is live` : `weights are split (${formatWeights(v.weights)})`}`;
}

/** What the release guard would refuse in the manifest as it stands, and a manifest out of step with AWS. */
function manifestWarnings(status: ServiceStatus, colours: { blue: ColourView; green: ColourView }, path: string | null): string[] {
  const live = status.live;
  if (!path || !live || status.releaseInProgress) return [];
  const out: string[] = [];
  const entry = colours[live].manifest;
  if (!entry) return out;
  const fix = `run 'bluegreen sync-manifest ${status.service}'`;
  if (!namesDeployedImage(entry.image, colours[live])) {
    const runs = colours[live].image === colours[live].imageId ? colours[live].image : `${colours[live].image} (${colours[live].imageId})`;
    out.push(`${path} says ${entry.image} for the live colour ${live}, which runs ${runs}: the release guard would refuse a deploy of it; ${fix}`);
  }
  if (entry.mode !== 'active') {
    const guard = entry.mode === 'standby' ? 'the release guard would refuse a deploy of it' : 'it is out of step with AWS';
    out.push(`${path} puts the live colour ${live} in ${entry.mode}: ${guard}; ${fix}`);
  }
  const idle = colours[otherColour(live)].manifest;
  if (idle?.mode === 'active') out.push(`${path} says the idle colour ${otherColour(live)} is active: it is out of step with AWS; ${fix}`);
  return out;
}

/** The text form of `status`. */
export function renderStatus(v: StatusView): string[] {
  const lines = [headline(v), `  production   ${formatWeights(v.weights)}; test route -> ${v.testTarget}`];
  for (const c of COLOUR_NAMES) {
    const x = v.colours[c];
    const alarms = x.firingAlarms.length ? `ALARM: ${x.firingAlarms.join(', ')}` : 'no alarm firing';
    const image = x.image === x.imageId ? x.image : `${x.image} (${x.imageId})`;
    lines.push(
      `  ${c.padEnd(5)} ${x.role.padEnd(7)} ${String(x.weight).padStart(3)} %  ${x.healthy}/${x.total} healthy, desired ${x.desired}  ` +
        `image ${image}, deployed ${x.deployedMode}  ${alarms}`,
    );
  }
  lines.push(`  release      ${releaseLine(v)}`);
  lines.push(...hookLines(v));
  if (v.regions) lines.push(`  regions      ${v.regions.map(regionLine).join('; ')}`);
  if (v.featureFlags) lines.push(`  flags        ${'error' in v.featureFlags ? `could not be read: ${v.featureFlags.error}` : v.featureFlags.line}`);
  if (v.quarantine) lines.push(`  quarantine   ${'error' in v.quarantine ? `could not be read: ${v.quarantine.error}` : countsLine(v.quarantine)}`);
  if (v.manifestPath) {
    const entry = (c: ColourName) => {
      const m = v.colours[c].manifest;
      if (!m) return `${c} ?`;
      const pending = !namesDeployedImage(m.image, v.colours[c]) && v.colours[c].role === 'idle' ? ' (not deployed yet)' : '';
      return `${c} ${m.image} ${m.mode}${pending}`;
    };
    lines.push(`  manifest     ${v.manifestPath}: ${entry('blue')}, ${entry('green')}`);
  }
  for (const w of v.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** `paused before step 4/5 (100 %) for 12m`, or `paused before promotion for 30s`. */
export function describeWait(a: AwaitingApprovalView, steps: number): string {
  const where = a.beforeStep > steps ? 'promotion' : `step ${a.beforeStep}/${steps} (${a.percent} %)`;
  // Whole minutes once it has waited a minute: the seconds of a long wait are noise.
  const waited = a.waitingMs >= 60_000 ? Math.floor(a.waitingMs / 60_000) * 60_000 : Math.floor(a.waitingMs / 1000) * 1000;
  return `paused before ${where} for ${humanDuration(waited)}`;
}

/** Longest detail of a hook shown on its status line (`--json` has all of it). */
const HOOK_DETAIL_CHARS = 100;

/** One line per hook run, then one per contract hook. */
function hookLines(v: StatusView): string[] {
  const r = v.release;
  if (!r) return [];
  const steps = r.steps.length;
  const lines = r.hooks.map((h) => {
    const at = h.step !== null ? `${h.point} ${h.step}/${steps}` : h.point;
    const attempts = `${h.attempts} attempt${h.attempts === 1 ? '' : 's'}`;
    const verdict = h.status === 'running' ? `running (attempt ${h.attempts}, since ${clockTime(Date.parse(h.startedAt))})` : `${h.status} after ${attempts}`;
    return `  hook         ${h.hook} (${h.kind}) at ${at}: ${verdict}${detailOf(h.detail)}`;
  });
  for (const c of r.contracts) lines.push(`  contract     ${c.hook} (${c.kind}): ${c.when}${c.status === 'deferred' || c.status === 'passed' ? '' : detailOf(c.detail)}`);
  return lines;
}

/** `: <the first line of a hook's detail>`, cut short. */
function detailOf(detail: string | null): string {
  const first = detail?.split('\n')[0]?.trim();
  if (!first) return '';
  return `: ${first.length > HOOK_DETAIL_CHARS ? `${first.slice(0, HOOK_DETAIL_CHARS - 1)}…` : first}`;
}

function regionLine(r: RegionVersionView): string {
  if (r.error !== undefined) return `${r.region} (${r.role}) could not be read: ${r.error}`;
  return `${r.region} (${r.role}) serves ${r.serving ?? 'split weights'}`;
}

function releaseLine(v: StatusView): string {
  const r = v.release;
  if (!r) return 'none yet';
  // Whole seconds: milliseconds of a heartbeat's age are noise.
  const age = humanDuration(Math.floor(r.heartbeatAgeMs / 1000) * 1000);
  if (r.inProgress && r.awaitingApproval) {
    const a = r.awaitingApproval;
    const why = a.reason === 'inconclusive' ? ` (${a.detail})` : '';
    return `${r.releaseId} ${describeWait(a, r.steps.length)}${why}: approve with 'bluegreen approve ${v.service}' or roll back ('bluegreen rollback ${v.service}')`;
  }
  if (r.inProgress) {
    const lease = r.leaseMs !== null ? ` (lease ${humanDuration(r.leaseMs)})` : '';
    const stale = r.stale ? ` STALE: interrupted, run bluegreen resume ${v.service} or bluegreen rollback ${v.service}` : '';
    return `${r.releaseId} IN PROGRESS: ${r.candidate} at ${r.progress}, driven by ${r.owner}, heartbeat ${age} ago${lease}${stale}`;
  }
  let line = `${r.releaseId} ${r.status} (${r.candidate} over ${r.stable}, ${age} ago by ${r.owner})`;
  if (r.reason) line += `: ${r.reason}`;
  if (r.scaleDownAt) line += v.scaleDownDue ? `; scale-down of ${r.stable} is due` : `; ${r.stable} stays ready until ${r.scaleDownAt}`;
  return line;
}
