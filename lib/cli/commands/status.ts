import type { ManifestDocument, ServiceDescriptor } from '../../contract';
import { liveColour, ReleaseEngine, usageError } from '../../release';
import { awsPorts, featureFlagPorts, loadServiceDescriptor, quarantineController } from '../aws-access';
import { featureFlagsStatusLine } from '../feature-flags-view';
import { withRetryNotices } from '../retry-notices';
import type { Command, CommandContext } from '../command';
import { durationFlag } from '../flags';
import { readManifest } from '../manifest-file';
import { ownerId, ownerProcess, processProbe } from '../owner';
import { DrAccess, drAccessFor } from '../dr-access';
import { quarantineCounts } from '../quarantine-view';
import { buildView, FeatureFlagsStatusView, QuarantineStatusView, RegionVersionView, renderStatus, withFeatureFlags, withQuarantine, withRegions, StatusView } from '../status-view';
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
    const access = drAccessFor(ctx);
    try {
      const read = await statusReader(ctx, access);
      if (watch) return await watchStatus(ctx, read, { intervalMs });
      const view = (await read())();
      if (global.json) out.statusObject(view);
      else for (const line of renderStatus(view)) out.line(line);
      return 0;
    } finally {
      access.close();
    }
    }),
};

/** One reading of the service (the engine's status and the manifest), made into a view. */
async function statusReader(ctx: CommandContext, access: DrAccess): Promise<StatusReader> {
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
  const peer = peerReader(descriptor, access);
  const kept = quarantineReader(ctx, descriptor);
  const flagged = featureFlagsReader(ctx, descriptor);
  return async () => {
    const [serviceStatus, regions, quarantine, featureFlags] = await Promise.all([engine.status(), peer?.(), kept?.(), flagged?.()]);
    // An unreadable manifest is worth a warning here (once), not a failure: status is how one finds out what is wrong.
    let manifest: ManifestDocument | undefined;
    try {
      manifest = readManifest(ctx.manifest, global.service)?.manifest;
    } catch (e) {
      if (!warned) out.warn((e as Error).message);
      warned = true;
    }
    return (bakeStartedAt?: number) => {
      let view: StatusView = buildView(serviceStatus, descriptor, manifest, manifest ? ctx.manifest.shown : null, bakeStartedAt);
      if (quarantine) view = withQuarantine(view, quarantine);
      if (featureFlags) view = withFeatureFlags(view, featureFlags);
      if (!regions) return view;
      const here = serviceStatus.live ? descriptor.colours[serviceStatus.live].image : null;
      return withRegions(view, [{ region: descriptor.region, role: descriptor.disasterRecovery!.role, serving: here }, regions]);
    };
  };
}

/**
 * For a service with a standby Region: reads what the other Region's live colour serves (its descriptor once, its
 * weights each reading). A Region that cannot be read is shown as such; status goes on.
 */
function peerReader(descriptor: ServiceDescriptor, access: DrAccess): (() => Promise<RegionVersionView>) | undefined {
  const pair = descriptor.disasterRecovery;
  if (!pair) return undefined;
  const role = pair.role === 'primary' ? 'standby' : 'primary';
  const region = role === 'primary' ? pair.primaryRegion : pair.standbyRegion;
  let peer: Promise<{ d: ServiceDescriptor; weights: () => Promise<{ blue: number; green: number }> }> | undefined;
  return async () => {
    try {
      peer ??= access.descriptor(region).then(async (d) => {
        const ports = await access.releasePorts(d, { event: () => undefined });
        return { d, weights: () => ports.traffic.getWeights() };
      });
      const { d, weights } = await peer;
      const live = liveColour(await weights());
      return { region, role, serving: live ? d.colours[live].image : null };
    } catch (e) {
      peer = undefined;
      return { region, role, serving: null, error: (e as Error).message };
    }
  };
}

/**
 * For a service with `healing.quarantine`: reads the quarantine record (one GetItem) each reading, for its counts.
 * A record that cannot be read is shown as such; status goes on. A service without quarantine reads nothing more.
 */
function quarantineReader(ctx: CommandContext, descriptor: ServiceDescriptor): (() => Promise<QuarantineStatusView>) | undefined {
  const section = descriptor.healing?.quarantine;
  if (!section) return undefined;
  let controller: ReturnType<typeof quarantineController> | undefined;
  return async () => {
    try {
      controller ??= quarantineController(ctx, descriptor);
      return quarantineCounts(await (await controller).list(), section);
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
}

/**
 * For a service with feature flags: reads them (the deployments, the monitor, the record, the declared and live
 * versions) each reading, for one line. Unreadable flags are shown as such; status goes on. A service without feature
 * flags reads nothing more.
 */
function featureFlagsReader(ctx: CommandContext, descriptor: ServiceDescriptor): (() => Promise<FeatureFlagsStatusView>) | undefined {
  const section = descriptor.featureFlags;
  if (!section) return undefined;
  return async () => {
    try {
      const [{ listFeatureFlags }, ports] = await Promise.all([import('../../release/feature-flags/list'), featureFlagPorts(ctx, descriptor)]);
      const listing = await listFeatureFlags(ports, section, ports.clock.now());
      return {
        declared: listing.flags.filter((f) => f.status !== 'undeclared').length,
        on: listing.flags.filter((f) => f.live === true).length,
        debt: listing.flags.filter((f) => f.status === 'debt').length,
        monitorActionsEnabled: listing.monitor.actionsEnabled,
        line: featureFlagsStatusLine(listing),
      };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
}
