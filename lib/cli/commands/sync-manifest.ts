import * as fs from 'fs';
import * as path from 'path';
import { ColourName, COLOUR_NAMES, ManifestColourEntry, ManifestDocument, manifestJson, ServiceDescriptor } from '../../contract';
import { formatWeights, otherColour, ReleaseEngine, UsageError } from '../../release';
import { awsPorts, loadServiceDescriptor } from '../aws-access';
import { withRetryNotices } from '../retry-notices';
import type { Command, CommandContext } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { keepImagesRetained } from '../image-retention';
import { readManifest, writeManifest } from '../manifest-file';
import { keepManifestInStep, ResolvedLayout, syncManifest as syncEntries } from '../manifest-sync';
import { apiCallSummary } from '../output';
import { ownerId } from '../owner';

/** What `sync-manifest` was asked to do. */
export interface SyncManifestOptions {
  /** `--create`: write the manifest from AWS when there is none. */
  readonly create: boolean;
}

/**
 * `sync-manifest <service>`: rewrite the manifest's modes from AWS (the live colour `active` and pinned to its AMI,
 * the idle colour `ready`, or `standby` when its group is scaled to zero). For a manifest left behind by a change
 * the CLI did not make, such as the auto-rollback; with `--create`, for a service that has none yet. Reads AWS only.
 */
export const syncManifest: Command<SyncManifestOptions> = {
  name: 'sync-manifest',
  summary: 'rewrite the manifest from AWS: live colour active (pinned to its AMI), idle colour ready or standby',
  flags: { create: { type: 'boolean', help: 'write the manifest from AWS if it does not exist yet (the idle colour keeps the image it was deployed with)' } },
  parse: (values) => ({ create: values.create === true }),
  run: (ctx, { create }) =>
    withRetryNotices(ctx, async () => {
    const { global, out, clients, manifest: location } = ctx;
    const exists = readManifest(location, global.service) !== undefined;
    if (!exists && !create) {
      throw new UsageError(
        `--manifest: no release manifest at ${location.shown}. Pass --create to write it from AWS (bluegreen sync-manifest ${global.service} --create), or --manifest <path>.`,
      );
    }
    const descriptor = await loadServiceDescriptor(ctx);
    const engine = new ReleaseEngine(await awsPorts(ctx, descriptor, { event: () => undefined }), { service: global.service, owner: ownerId() });
    const status = await engine.status();
    const result = (status_: string, exitCode: number, message: string, extra: object = {}) =>
      out.result({ status: status_, exitCode, message, ...extra, apiCalls: apiCallSummary(clients.counter) });
    const nothing = exists ? 'Nothing was written.' : `${location.shown} was not created.`;
    if (status.releaseInProgress) {
      return result('refused', EXIT_CODES.refused, `Not synced: release ${status.release?.releaseId} is in progress; the manifest follows once it ends. ${nothing}`, {
        next: [`bluegreen wait ${global.service}`],
      });
    }
    if (!status.live) {
      return result('refused', EXIT_CODES.refused, `Not synced: weights are split (${formatWeights(status.weights)}); settle them with rollback or promote --colour first. ${nothing}`, {
        next: [`bluegreen rollback ${global.service}`, `bluegreen promote ${global.service} --colour <blue|green>`],
      });
    }
    const idle = otherColour(status.live);
    const layout: ResolvedLayout = { live: status.live, idleMode: status[idle].desired === 0 ? 'standby' : 'ready' };
    const what = `${status.live} active, ${idle} ${layout.idleMode}`;
    if (!exists) return createManifest(ctx, descriptor, layout);
    const manifest = await keepManifestInStep(ctx, descriptor, layout);
    await keepImagesRetained(ctx, descriptor);
    if (manifest.action === 'unchanged') return result('unchanged', EXIT_CODES.done, `${location.shown} is in step with AWS (${what}).`, { manifest });
    if (manifest.action === 'would-write') return result('dry-run', EXIT_CODES.done, `Dry run: would sync ${location.shown} to ${what}.`, { dryRun: true, manifest });
    return result('synced', EXIT_CODES.done, `Synced ${location.shown} with AWS (${what}).`, { manifest });
    }),
};

/**
 * A new manifest as AWS has the service: the live colour pinned to the AMI it runs and `active`, the idle colour with
 * the image it was last deployed with (`baked:<name>` for a baked image, so it follows the next bake) and `ready` or
 * `standby`.
 */
export function manifestFromAws(descriptor: ServiceDescriptor, layout: ResolvedLayout): ManifestDocument {
  const deployed = (c: ColourName) => {
    const image = descriptor.colours[c].image;
    return image.startsWith('baked:') ? image.replace(/@.*$/, '') : image;
  };
  const entry = (c: ColourName): ManifestColourEntry => ({ image: deployed(c), mode: c === layout.live ? 'active' : layout.idleMode });
  // Then synced, which pins the live colour to the AMI it runs.
  const draft: ManifestDocument = { service: descriptor.service, blue: entry('blue'), green: entry('green') };
  return syncEntries(draft, descriptor, layout).manifest;
}

async function createManifest(ctx: CommandContext, descriptor: ServiceDescriptor, layout: ResolvedLayout): Promise<number> {
  const { global, out, clients, manifest: location } = ctx;
  const document = manifestFromAws(descriptor, layout);
  const text = manifestJson(document);
  const changes = [`blue: ${document.blue.image} ${document.blue.mode}`, `green: ${document.green.image} ${document.green.mode}`];
  const manifest = { path: location.shown, action: global.dryRun ? 'would-write' : 'written', changes };
  const fields = { manifest, apiCalls: apiCallSummary(clients.counter) };
  if (global.dryRun) {
    return out.result({ status: 'dry-run', exitCode: EXIT_CODES.done, dryRun: true, message: `Dry run: would create ${location.shown} from AWS (${changes.join('; ')}).`, ...fields });
  }
  fs.mkdirSync(path.dirname(location.path), { recursive: true });
  writeManifest(location, text);
  await keepImagesRetained(ctx, descriptor);
  return out.result({
    status: 'created',
    exitCode: EXIT_CODES.done,
    message: `Created ${location.shown} from AWS: ${COLOUR_NAMES.map((c) => `${c} ${document[c].image} ${document[c].mode}`).join(', ')}. Commit it, so that deploys keep this layout.`,
    ...fields,
  });
}
