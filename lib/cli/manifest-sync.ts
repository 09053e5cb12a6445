import { CapacityMode } from '../../constructs/fleet/capacity-mode';
import { Colour } from '../../constructs/fleet/colour';
import { ServiceDescriptor } from '../contract';
import { ColourRelease, ReleaseManifest } from '../../constructs/fleet/release-manifest';
import { AMI_ID } from '../contract';
import { ColourName, otherColour, ReleaseOutcome } from '../release';

/** Which colour holds the traffic after a command, and what the other one runs. */
export interface ColourLayout {
  /** The colour with all traffic: `active` in the manifest, pinned to the AMI it runs. */
  readonly live: ColourName;
  /** The other colour's mode: `ready` (warm, for a rollback or the next release) or `standby`. */
  readonly idleMode: 'ready' | 'standby';
}

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
      return { live: s.stable, idleMode: 'ready' };
    case 'scaled-down':
      return { live, idleMode: 'standby' };
    case 'preempted':
      // Someone else ended the release (another operator, the auto-rollback): record what they left.
      return s.status === 'in-progress' ? undefined : { live, idleMode: 'ready' };
    default:
      return undefined;
  }
}

/** A manifest brought in step with AWS, what changed, and what needs a human. */
export interface SyncResult {
  readonly manifest: ReleaseManifest;
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
export function syncManifest(manifest: ReleaseManifest, descriptor: ServiceDescriptor, layout: ColourLayout): SyncResult {
  const changes: string[] = [];
  const warnings: string[] = [];
  const live = Colour.fromName(layout.live);
  const idle = Colour.fromName(otherColour(layout.live));
  const liveEntry = manifest.colour(live);
  let image = liveEntry.image;
  const runs = descriptor.colours[layout.live].imageId;
  if (image !== runs) {
    if (typeof runs !== 'string' || !AMI_ID.test(runs)) {
      warnings.push(`${live.name} is live but the descriptor records no AMI id for it (${JSON.stringify(runs)}); its image ${image} is not pinned`);
    } else {
      if (image.startsWith('ami-')) {
        warnings.push(`the manifest said ${image} for ${live.name}, but ${live.name} runs ${runs} (the stage was not deployed); pinned to ${runs}`);
      }
      image = runs;
    }
  }
  let next = manifest;
  next = set(next, live, { image, mode: CapacityMode.ACTIVE }, changes);
  next = set(next, idle, { image: manifest.colour(idle).image, mode: CapacityMode.fromName(layout.idleMode) }, changes);
  return { manifest: next, changes, warnings };
}

function set(manifest: ReleaseManifest, colour: Colour, release: ColourRelease, changes: string[]): ReleaseManifest {
  const before = manifest.colour(colour);
  if (before.image !== release.image) changes.push(`${colour.name}: image ${before.image} -> ${release.image}`);
  if (before.mode !== release.mode) changes.push(`${colour.name}: mode ${before.mode.name} -> ${release.mode.name}`);
  return manifest.withColour(colour, release);
}
