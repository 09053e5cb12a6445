import { formatWeights, otherColour, ReleaseEngine, UsageError } from '../../release';
import { awsPorts, loadServiceDescriptor } from '../aws-access';
import type { Command, NoOptions } from '../command';
import { keepImagesRetained } from '../image-retention';
import { readManifest } from '../manifest-file';
import { keepManifestInStep } from '../manifest-sync';
import { apiCallSummary } from '../output';
import { ownerId } from '../owner';

/**
 * `sync-manifest <service>`: rewrite the manifest's modes from AWS (the live colour `active` and pinned to its AMI,
 * the idle colour `ready`, or `standby` when its group is scaled to zero). For a manifest left behind by a change
 * the CLI did not make, such as the auto-rollback. Reads AWS only.
 */
export const syncManifest: Command<NoOptions> = {
  name: 'sync-manifest',
  summary: 'rewrite the manifest from AWS: live colour active (pinned to its AMI), idle colour ready or standby',
  flags: {},
  parse: () => ({}),
  async run(ctx) {
    const { global, out, clients, manifest: location } = ctx;
    if (!readManifest(location, global.service)) {
      throw new UsageError(`--manifest: no release manifest at ${location.shown}. Create it, or pass --manifest <path>.`);
    }
    const descriptor = await loadServiceDescriptor(ctx);
    const engine = new ReleaseEngine(await awsPorts(ctx, descriptor, { event: () => undefined }), { service: global.service, owner: ownerId() });
    const status = await engine.status();
    const result = (status_: string, exitCode: number, message: string, extra: object = {}) =>
      out.result({ status: status_, exitCode, message, ...extra, apiCalls: apiCallSummary(clients.counter) });
    if (status.releaseInProgress) {
      return result('refused', 1, `Not synced: release ${status.release?.releaseId} is in progress; the manifest follows once it ends. Nothing was written.`);
    }
    if (!status.live) {
      return result('refused', 1, `Not synced: weights are split (${formatWeights(status.weights)}); settle them with rollback or promote --colour first. Nothing was written.`);
    }
    const idle = otherColour(status.live);
    const layout = { live: status.live, idleMode: status[idle].desired === 0 ? ('standby' as const) : ('ready' as const) };
    const manifest = keepManifestInStep(ctx, descriptor, layout);
    await keepImagesRetained(ctx, descriptor);
    const what = `${status.live} active, ${idle} ${layout.idleMode}`;
    if (manifest.action === 'unchanged') return result('unchanged', 0, `${location.shown} is in step with AWS (${what}).`, { manifest });
    if (manifest.action === 'would-write') return result('dry-run', 0, `Dry run: would sync ${location.shown} to ${what}.`, { dryRun: true, manifest });
    return result('synced', 0, `Synced ${location.shown} with AWS (${what}).`, { manifest });
  },
};
