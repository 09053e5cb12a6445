import { ColourDescriptor, ManifestDocument, ServiceDescriptor } from '../contract';
import { ColourName, ColourStatus, COLOUR_NAMES, describeProgress, formatWeights, otherColour, ServiceStatus } from '../release';
import { humanDuration } from './durations';
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
    warnings: [...status.warnings, ...manifestWarnings(status, colours, manifestPath)],
  };
}

function releaseView(status: ServiceStatus, colours: { blue: ColourView; green: ColourView }, bakeStartedAt?: number): ReleaseView | null {
  const r = status.release;
  if (!r) return null;
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
    stale: status.releaseStale,
    reason: r.reason ?? null,
    scaleDownAt: r.scaleDownAt !== undefined ? new Date(r.scaleDownAt).toISOString() : null,
    ...(live ? { live } : {}),
  };
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
  if (v.regions) lines.push(`  regions      ${v.regions.map(regionLine).join('; ')}`);
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

function regionLine(r: RegionVersionView): string {
  if (r.error !== undefined) return `${r.region} (${r.role}) could not be read: ${r.error}`;
  return `${r.region} (${r.role}) serves ${r.serving ?? 'split weights'}`;
}

function releaseLine(v: StatusView): string {
  const r = v.release;
  if (!r) return 'none yet';
  // Whole seconds: milliseconds of a heartbeat's age are noise.
  const age = humanDuration(Math.floor(r.heartbeatAgeMs / 1000) * 1000);
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
