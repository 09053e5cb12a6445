import * as os from 'os';
import { ServiceDescriptor } from '../contract';
import { AwsClients, retainColourImages, RetentionResult } from '../aws';
import { ParsedCommand } from './args';
import { CliIo } from './io';
import { ManifestLocation, readManifest, writeManifest } from './manifest-file';
import { ColourLayout, syncManifest } from './manifest-sync';
import { Output } from './output';

/** What every command runs with. */
export interface CommandContext {
  readonly cmd: ParsedCommand;
  readonly io: CliIo;
  readonly out: Output;
  readonly clients: AwsClients;
  readonly manifest: ManifestLocation;
}

/** Who drives a release from this process, as written into the release record. */
export function ownerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * Keep the AMIs the colours run from the image lifecycle policy (tag them to keep; untag ones no colour runs).
 * A failure only warns: the command's change in AWS has already happened.
 */
export async function keepImagesRetained(ctx: CommandContext, descriptor: ServiceDescriptor): Promise<RetentionResult | undefined> {
  if (ctx.cmd.dryRun) return undefined;
  try {
    const result = await retainColourImages(descriptor, ctx.clients.ec2);
    if (result.retained.length) ctx.out.line(`Kept from image clean-up (bluegreen:retain): ${result.retained.join(', ')}.`);
    if (result.released.length) ctx.out.line(`No colour runs ${result.released.join(', ')} any more: released to image clean-up.`);
    return result;
  } catch (e) {
    ctx.out.warn(
      `could not tag the colours' AMIs to keep them (${(e as Error).message}); the image lifecycle policy may delete an AMI a colour runs. ` +
        'Tag it bluegreen:retain=true by hand, or rerun bluegreen sync-manifest.',
    );
    return undefined;
  }
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
 * Bring the manifest in step with `layout` (the colours as AWS now has them): live colour `active` and pinned to
 * its AMI, the other `ready` or `standby`. Written only when it exists and a value changed, never on a dry run.
 * A manifest that cannot be read or is missing gets a warning: AWS has already changed, so this does not fail the
 * command.
 */
export function keepManifestInStep(ctx: CommandContext, descriptor: ServiceDescriptor, layout: ColourLayout | undefined): ManifestReport {
  const { manifest: location, out, cmd } = ctx;
  const report = (action: ManifestReport['action'], changes: string[] = []): ManifestReport => ({ path: location.shown, action, changes });
  if (!layout) return report('not-applicable');
  let loaded;
  try {
    loaded = readManifest(location, cmd.service);
  } catch (e) {
    out.warn(`${(e as Error).message} It was not updated; fix it to match AWS (bluegreen status).`);
    return report('skipped');
  }
  if (!loaded) {
    out.warn(`no release manifest at ${location.shown}, so none was updated. Pass --manifest <path> to keep yours in step with AWS.`);
    return report('missing');
  }
  const sync = syncManifest(loaded.manifest, descriptor, layout);
  for (const w of sync.warnings) out.warn(w);
  if (sync.changes.length === 0) return report('unchanged');
  if (cmd.dryRun) {
    out.line(`Would update ${location.shown}: ${sync.changes.join('; ')}.`);
    return report('would-write', sync.changes);
  }
  writeManifest(location, sync.manifest.toJson());
  out.line(`Updated ${location.shown}: ${sync.changes.join('; ')}. Commit it so the next deploy keeps this layout.`);
  return report('written', sync.changes);
}
