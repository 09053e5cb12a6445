import {
  AMI_ID,
  ColourName,
  ManifestColourEntry,
  ManifestDocument,
  manifestJson,
  otherColour,
  ServiceDescriptor,
  withManifestColour,
} from '../contract';
import type { ReleaseOutcome } from '../release';
import type { CommandContext } from './command';
import { readManifest, writeManifest } from './manifest-file';

/** Which colour holds the traffic after a command, and what the other one runs. */
export interface ColourLayout {
  /** The colour with all traffic: `active` in the manifest, pinned to the AMI it runs. */
  readonly live: ColourName;
  /**
   * The other colour's mode: `ready` (warm, for a rollback or the next release) or `standby`; `unchanged` when the
   * command did not touch its capacity (a rollback): it stays `standby` if it is in standby in AWS, else `ready`.
   */
  readonly idleMode: 'ready' | 'standby' | 'unchanged';
}

/** A layout whose idle mode is known. */
export interface ResolvedLayout extends ColourLayout {
  readonly idleMode: 'ready' | 'standby';
}

/** The desired capacity of a colour's group, read only when the manifest alone cannot tell. */
export type CapacityReader = (colour: ColourName) => Promise<number>;

/**
 * The layout a command left in AWS, from its outcome's release record; undefined when it changed nothing the
 * manifest records (refused, noop, not due, failed, or a release still in progress elsewhere).
 */
export function layoutAfter(outcome: ReleaseOutcome): ColourLayout | undefined {
  const s = outcome.state;
  if (!s) return undefined;
  const live = s.status === 'succeeded' ? s.candidate : s.stable;
  switch (outcome.status) {
    case 'succeeded':
      return s.status === 'succeeded' ? { live, idleMode: 'ready' } : undefined;
    case 'rolled-back':
    case 'aborted':
      // A rollback moves traffic, never capacity: the candidate it leaves idle may have been scaled down before.
      return { live: s.stable, idleMode: 'unchanged' };
    case 'scaled-down':
      return { live, idleMode: 'standby' };
    case 'preempted':
      // Someone else ended the release (another operator, the auto-rollback): record what they left.
      if (s.status === 'in-progress') return undefined;
      return { live, idleMode: s.status === 'succeeded' ? 'ready' : 'unchanged' };
    default:
      return undefined;
  }
}

/** A manifest brought in step with AWS, what changed, and what needs a human. */
export interface SyncResult {
  readonly manifest: ManifestDocument;
  /** One line per changed field, e.g. `green: mode ready -> active`. */
  readonly changes: string[];
  readonly warnings: string[];
}

/**
 * Bring the manifest's modes in step with `layout` and pin the live colour to the AMI it runs.
 *
 * A live colour whose entry is `baked:<name>` or `ssm:<name>` would follow the next bake or parameter change on the
 * next deploy (which the release guard then refuses), so it is pinned to `descriptor.colours[live].imageId`, which
 * the guard accepts as the same image. An `ami-` entry that differs from what the colour runs is a stage that was
 * never deployed: it is replaced by the AMI that runs, with a warning.
 */
export function syncManifest(manifest: ManifestDocument, descriptor: ServiceDescriptor, layout: ResolvedLayout): SyncResult {
  const changes: string[] = [];
  const warnings: string[] = [];
  const live = layout.live;
  const idle = otherColour(live);
  let image = manifest[live].image;
  const runs = descriptor.colours[live].imageId;
  if (image !== runs) {
    if (typeof runs !== 'string' || !AMI_ID.test(runs)) {
      warnings.push(`${live} is live but the descriptor records no AMI id for it (${JSON.stringify(runs)}); its image ${image} is not pinned`);
    } else {
      if (image.startsWith('ami-')) {
        warnings.push(`the manifest said ${image} for ${live}, but ${live} runs ${runs} (the stage was not deployed); pinned to ${runs}`);
      }
      image = runs;
    }
  }
  let next = manifest;
  next = replaceEntry(next, live, { image, mode: 'active' }, changes);
  next = replaceEntry(next, idle, { image: manifest[idle].image, mode: layout.idleMode }, changes);
  return { manifest: next, changes, warnings };
}

/** `manifest` with `colour`'s entry replaced, and each changed field described in `changes`. */
export function replaceEntry(manifest: ManifestDocument, colour: ColourName, entry: ManifestColourEntry, changes: string[]): ManifestDocument {
  const before = manifest[colour];
  if (before.image !== entry.image) changes.push(`${colour}: image ${before.image} -> ${entry.image}`);
  if (before.mode !== entry.mode) changes.push(`${colour}: mode ${before.mode} -> ${entry.mode}`);
  return withManifestColour(manifest, colour, entry);
}

/** What happened to the manifest, in results. */
export interface ManifestReport {
  /** As given or defaulted, relative to the working directory. */
  readonly path: string;
  /**
   * `written`; `unchanged` (already in step); `would-write` (dry run); `missing` (no file: warned, skipped);
   * `skipped` (unreadable: warned); `not-applicable` (the command left nothing new to record).
   */
  readonly action: 'written' | 'unchanged' | 'would-write' | 'missing' | 'skipped' | 'not-applicable';
  /** Changed fields, e.g. `green: mode ready -> active`. */
  readonly changes: string[];
}

/**
 * Bring the manifest file in step with `layout` (the colours as AWS now has them): live colour `active` and pinned
 * to its AMI, the other `ready` or `standby`. Written only when it exists and a value changed, never on a dry run.
 * A manifest that cannot be read or is missing gets a warning: AWS has already changed, so this does not fail the
 * command.
 */
export async function keepManifestInStep(
  ctx: CommandContext,
  descriptor: ServiceDescriptor,
  layout: ColourLayout | undefined,
  capacity?: CapacityReader,
): Promise<ManifestReport> {
  const { manifest: location, out, global } = ctx;
  const report = (action: ManifestReport['action'], changes: string[] = []): ManifestReport => ({ path: location.shown, action, changes });
  if (!layout) return report('not-applicable');
  let loaded;
  try {
    loaded = readManifest(location, global.service);
  } catch (e) {
    out.warn(`${(e as Error).message} It was not updated; fix it to match AWS (bluegreen status).`);
    return report('skipped');
  }
  if (!loaded) {
    out.warn(`no release manifest at ${location.shown}, so none was updated. Pass --manifest <path> to keep yours in step with AWS.`);
    return report('missing');
  }
  const sync = syncManifest(loaded.manifest, descriptor, await resolveLayout(layout, loaded.manifest, capacity, (m) => out.warn(m)));
  for (const w of sync.warnings) out.warn(w);
  if (sync.changes.length === 0) return report('unchanged');
  if (global.dryRun) {
    out.line(`Would update ${location.shown}: ${sync.changes.join('; ')}.`);
    return report('would-write', sync.changes);
  }
  writeManifest(location, manifestJson(sync.manifest));
  out.line(`Updated ${location.shown}: ${sync.changes.join('; ')}. Commit it so the next deploy keeps this layout.`);
  return report('written', sync.changes);
}

/**
 * The idle mode of a layout whose command left the idle colour's capacity alone: `ready` unless the manifest has it
 * in standby and AWS agrees (its group is at 0). One Auto Scaling read, only in that case, so that a rollback after a
 * scale-down keeps `standby`, as `sync-manifest` would write it, instead of flipping it to `ready`.
 */
export async function resolveLayout(
  layout: ColourLayout,
  manifest: ManifestDocument,
  capacity: CapacityReader | undefined,
  warn: (message: string) => void,
): Promise<ResolvedLayout> {
  if (layout.idleMode !== 'unchanged') return { live: layout.live, idleMode: layout.idleMode };
  const idle = otherColour(layout.live);
  if (manifest[idle].mode !== 'standby') return { live: layout.live, idleMode: 'ready' };
  if (!capacity) return { live: layout.live, idleMode: 'standby' };
  try {
    return { live: layout.live, idleMode: (await capacity(idle)) === 0 ? 'standby' : 'ready' };
  } catch (e) {
    warn(`could not read ${idle}'s capacity (${(e as Error).message.split('\n')[0]}); its manifest mode stays standby: check it with bluegreen sync-manifest`);
    return { live: layout.live, idleMode: 'standby' };
  }
}
