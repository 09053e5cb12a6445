import type { ManifestDocument } from '../../contract';
import { ReleaseEngine } from '../../release';
import { awsPorts, loadServiceDescriptor } from '../aws-access';
import type { Command, NoOptions } from '../command';
import { readManifest } from '../manifest-file';
import { ownerId } from '../owner';
import { buildView, renderStatus } from '../status-view';

/** `status <service>`: reads only. Exit 0 whatever it finds. */
export const status: Command<NoOptions> = {
  name: 'status',
  summary: 'live colour, weights, images, target health, firing alarms, the release in progress, scale-down due',
  flags: {},
  parse: () => ({}),
  async run(ctx) {
    const { global, out } = ctx;
    const descriptor = await loadServiceDescriptor(ctx);
    const engine = new ReleaseEngine(await awsPorts(ctx, descriptor, { event: () => undefined }), { service: global.service, owner: ownerId() });
    const serviceStatus = await engine.status();
    // An unreadable manifest is worth a warning here, not a failure: status is how one finds out what is wrong.
    let manifest: ManifestDocument | undefined;
    try {
      manifest = readManifest(ctx.manifest, global.service)?.manifest;
    } catch (e) {
      out.warn((e as Error).message);
    }
    const view = buildView(serviceStatus, descriptor, manifest, manifest ? ctx.manifest.shown : null);
    if (global.json) out.statusObject(view);
    else for (const line of renderStatus(view)) out.line(line);
    return 0;
  },
};
