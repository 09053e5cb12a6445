import type { ManifestDocument } from '../../contract';
import { ReleaseEngine, usageError } from '../../release';
import { awsPorts, loadServiceDescriptor } from '../aws-access';
import { withRetryNotices } from '../retry-notices';
import type { Command, CommandContext } from '../command';
import { durationFlag } from '../flags';
import { readManifest } from '../manifest-file';
import { ownerId, ownerProcess, processProbe } from '../owner';
import { buildView, renderStatus } from '../status-view';
import { StatusReader, watchStatus } from '../watch';

/** What `status` was asked to do. */
export interface StatusOptions {
  /** `--watch`: a live view until Ctrl-C. */
  readonly watch: boolean;
  /** `--interval`: between readings of `--watch`. */
  readonly intervalMs: number;
}

/** `--interval` bounds: each reading is about nine read calls. */
const INTERVAL_MS = { min: 1_000, max: 5 * 60_000, default: 5_000 };

/** `status <service>`: reads only. Exit 0 whatever it finds. */
export const status: Command<StatusOptions> = {
  name: 'status',
  summary: 'live colour, weights, images, target health, firing alarms, the release in progress (step, bake, ETA, gate); --watch to follow it',
  flags: {
    watch: { type: 'boolean', short: 'w', help: 'keep reading and redraw the view until Ctrl-C (off a terminal: one line per reading)' },
    interval: { type: 'string', example: '5s', help: 'with --watch: time between readings, 1s to 5m (default 5s)' },
  },
  parse: (values) => {
    const intervalMs = durationFlag(values, 'interval', INTERVAL_MS.min, INTERVAL_MS.max);
    if (intervalMs !== undefined && values.watch !== true) throw usageError('--interval', 'applies only with --watch, e.g. status web --watch --interval 10s.', values.interval);
    return { watch: values.watch === true, intervalMs: intervalMs ?? INTERVAL_MS.default };
  },
  run: (ctx, { watch, intervalMs }) =>
    withRetryNotices(ctx, async () => {
    const { global, out } = ctx;
    const read = await statusReader(ctx);
    if (watch) return watchStatus(ctx, read, { intervalMs });
    const view = (await read())();
    if (global.json) out.statusObject(view);
    else for (const line of renderStatus(view)) out.line(line);
    return 0;
    }),
};

/** One reading of the service (the engine's status and the manifest), made into a view. */
async function statusReader(ctx: CommandContext): Promise<StatusReader> {
  const { global, out } = ctx;
  const descriptor = await loadServiceDescriptor(ctx);
  const engine = new ReleaseEngine(await awsPorts(ctx, descriptor, { event: () => undefined }), {
    service: global.service,
    owner: ownerId(),
    // So status can say whether the holder of a release in progress on this host is still running.
    process: ownerProcess(),
    processProbe,
  });
  let warned = false;
  return async () => {
    const serviceStatus = await engine.status();
    // An unreadable manifest is worth a warning here (once), not a failure: status is how one finds out what is wrong.
    let manifest: ManifestDocument | undefined;
    try {
      manifest = readManifest(ctx.manifest, global.service)?.manifest;
    } catch (e) {
      if (!warned) out.warn((e as Error).message);
      warned = true;
    }
    return (bakeStartedAt?: number) => buildView(serviceStatus, descriptor, manifest, manifest ? ctx.manifest.shown : null, bakeStartedAt);
  };
}
