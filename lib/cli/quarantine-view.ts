/**
 * What `bluegreen quarantine <service>` and the quarantine line of `bluegreen status` show: the kept instances of a
 * service with `healing.quarantine`, the counts against the caps and the recent replacements against the flapping
 * threshold. Pure: built from the controller's listing and the descriptor.
 */
import { COLOUR_NAMES, ColourName, QUARANTINE_MAX_RETENTION_SECONDS, QuarantineDescriptor, QuarantineEntry } from '../contract';
import type { QuarantineListing } from '../release/quarantine/controller';
import { humanDuration } from './durations';

/** One kept (or still isolating) instance. */
export interface KeptInstanceView {
  readonly instanceId: string;
  readonly colour: ColourName;
  /** `kept`, or `isolating` while the quarantine function is still isolating it. */
  readonly state: string;
  readonly autoScalingGroupName: string;
  /** When it was kept (ISO); null while isolating. */
  readonly since: string | null;
  /** How long it has been kept (from `since`, else from the claim), milliseconds. */
  readonly ageMs: number;
  /** When it was claimed (ISO). */
  readonly claimedAt: string;
  /** When its retention ends and the sweep terminates it (ISO). */
  readonly expiresAt: string;
  /** Time left until then, milliseconds (0 when due). */
  readonly expiresInMs: number;
  /** The group's cause and the load balancer's reason. */
  readonly reasons: readonly string[];
  /** The AMI it ran; null when unknown. */
  readonly imageId: string | null;
  /** `s3://` URI of the evidence; null when not captured (yet). */
  readonly evidence: string | null;
  readonly snapshots: readonly string[];
  readonly originalSecurityGroups: readonly string[];
  /** Who last extended its retention, and when. */
  readonly extended: { readonly by: string; readonly at: string } | null;
  /** The command that opens a shell on it through Session Manager. */
  readonly connect: string;
}

/** The counts `status` shows, and the list's header. */
export interface QuarantineCountsView {
  /** Instances kept or isolating, per colour. */
  readonly kept: Readonly<Record<ColourName, number>>;
  readonly keepPerColour: number;
  readonly keepPerService: number;
  /** Health-driven replacements within the flapping window, per colour. */
  readonly recentReplacements: Readonly<Record<ColourName, number>>;
  /** Replacements within the window that raise the colour's flapping alarm. */
  readonly flappingReplacements: number;
  readonly flappingWindowMs: number;
  /** How long an instance is kept unless extended. */
  readonly retentionMs: number;
}

/** `bluegreen quarantine <service>`; with `--json`, this object with `"kind": "status"`. */
export interface QuarantineView extends QuarantineCountsView {
  readonly service: string;
  readonly region: string;
  /** ISO time of the reading. */
  readonly at: string;
  /** The longest an instance may be kept, counted from when it was kept, extensions included. */
  readonly maxRetentionMs: number;
  readonly instances: readonly KeptInstanceView[];
}

/** The counts of a listing. */
export function quarantineCounts(listing: QuarantineListing, q: QuarantineDescriptor): QuarantineCountsView {
  return {
    kept: { ...listing.perColour },
    keepPerColour: listing.keepPerColour,
    keepPerService: listing.keepPerService,
    recentReplacements: { ...listing.recentReplacements },
    flappingReplacements: q.flappingReplacements,
    flappingWindowMs: q.flappingWindowSeconds * 1000,
    retentionMs: q.retentionSeconds * 1000,
  };
}

/** The list view of a listing, read at `nowMs`. */
export function buildQuarantineView(service: string, region: string, listing: QuarantineListing, q: QuarantineDescriptor, nowMs: number): QuarantineView {
  return {
    service,
    region,
    at: new Date(nowMs).toISOString(),
    ...quarantineCounts(listing, q),
    maxRetentionMs: QUARANTINE_MAX_RETENTION_SECONDS * 1000,
    instances: [...listing.entries].sort(byColourThenSince).map((e) => instanceView(e, region, nowMs)),
  };
}

function byColourThenSince(a: QuarantineEntry, b: QuarantineEntry): number {
  return COLOUR_NAMES.indexOf(a.colour) - COLOUR_NAMES.indexOf(b.colour) || (a.since ?? a.claimedAt).localeCompare(b.since ?? b.claimedAt);
}

function instanceView(e: QuarantineEntry, region: string, nowMs: number): KeptInstanceView {
  return {
    instanceId: e.instanceId,
    colour: e.colour,
    state: e.state,
    autoScalingGroupName: e.autoScalingGroupName,
    since: e.since ?? null,
    ageMs: Math.max(0, nowMs - Date.parse(e.since ?? e.claimedAt)),
    claimedAt: e.claimedAt,
    expiresAt: e.expiresAt,
    expiresInMs: Math.max(0, Date.parse(e.expiresAt) - nowMs),
    reasons: e.reasons ?? [],
    imageId: e.imageId ?? null,
    evidence: e.evidence ?? null,
    snapshots: e.snapshots ?? [],
    originalSecurityGroups: e.originalSecurityGroups ?? [],
    extended: e.extended ?? null,
    connect: sessionCommand(e.instanceId, region),
  };
}

/** The AWS CLI command that opens a Session Manager shell on `instanceId`. */
export function sessionCommand(instanceId: string, region: string): string {
  return `aws ssm start-session --target ${instanceId} --region ${region}`;
}

/** A duration for a person reading ages and time left: whole minutes from an hour up, whole seconds below. */
export function roughDuration(ms: number): string {
  return humanDuration(ms >= 3_600_000 ? Math.floor(ms / 60_000) * 60_000 : Math.floor(ms / 1000) * 1000);
}

/**
 * The counts in one line: `blue 1 kept, green 0 (cap 1 per colour, 2 per service); replacements in 15m: blue 2/3,
 * green 0/3`.
 */
export function countsLine(c: QuarantineCountsView): string {
  const kept = COLOUR_NAMES.map((colour, i) => `${colour} ${c.kept[colour]}${i === 0 ? ' kept' : ''}`).join(', ');
  // At the threshold the colour's flapping alarm (a gate member) fires: say so where an on-call engineer looks.
  const flapping = (colour: ColourName) => (c.recentReplacements[colour] >= c.flappingReplacements ? ' (flapping: its gate fires)' : '');
  const replacements = COLOUR_NAMES.map((colour) => `${colour} ${c.recentReplacements[colour]}/${c.flappingReplacements}${flapping(colour)}`).join(', ');
  return `${kept} (cap ${c.keepPerColour} per colour, ${c.keepPerService} per service); replacements in ${humanDuration(c.flappingWindowMs)}: ${replacements}`;
}

/** The text form of `bluegreen quarantine <service>`. */
export function renderQuarantine(v: QuarantineView): string[] {
  const n = v.instances.length;
  const lines = [
    `${v.service} (${v.region}): ${n === 0 ? 'no instance' : n === 1 ? '1 instance' : `${n} instances`} in quarantine`,
    `  kept          ${COLOUR_NAMES.map((c) => `${c} ${v.kept[c]} of ${v.keepPerColour}`).join(', ')}; ${n} of ${v.keepPerService} for the service`,
    `  replacements  ${COLOUR_NAMES.map((c) => `${c} ${v.recentReplacements[c]}`).join(', ')} in the last ${humanDuration(v.flappingWindowMs)}; ${v.flappingReplacements} raise the colour's flapping alarm`,
    `  retention     ${humanDuration(v.retentionMs)}, extendable to ${humanDuration(v.maxRetentionMs)} after it was kept (bluegreen quarantine extend ${v.service} <instance> --for 24h)`,
  ];
  for (const i of v.instances) lines.push('', ...renderInstance(i));
  return lines;
}

function renderInstance(i: KeptInstanceView): string[] {
  const field = (name: string, value: string) => `    ${name.padEnd(10)} ${value}`;
  const lines = [`  ${i.instanceId}  ${i.colour}  ${i.state}`];
  lines.push(i.since !== null ? field('since', `${i.since} (${roughDuration(i.ageMs)} ago)`) : field('claimed', `${i.claimedAt} (${roughDuration(i.ageMs)} ago), still being isolated`));
  const left = i.expiresInMs > 0 ? `in ${roughDuration(i.expiresInMs)}` : 'due: the sweep terminates it within a minute';
  const by = i.extended ? `; extended by ${i.extended.by} at ${i.extended.at}` : '';
  lines.push(field('expires', `${i.expiresAt} (${left}${by})`));
  const reasons = i.reasons.length ? i.reasons : ['(none recorded)'];
  reasons.forEach((r, n) => lines.push(field(n === 0 ? 'reasons' : '', r)));
  lines.push(field('image', i.imageId ?? 'unknown'));
  lines.push(field('evidence', i.evidence ?? 'not captured'));
  lines.push(field('snapshots', i.snapshots.length ? i.snapshots.join(' ') : 'none'));
  if (i.originalSecurityGroups.length) lines.push(field('groups', `${i.originalSecurityGroups.join(' ')} before isolation`));
  lines.push(field('connect', i.connect));
  return lines;
}
