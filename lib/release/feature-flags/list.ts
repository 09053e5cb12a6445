/** `bluegreen flags <service>`: every flag, what AppConfig serves, the running deployment, the monitor, the record. */
import { FeatureFlagProfile, FeatureFlagsDescriptor, featureFlagExpired, readFeatureFlagProfile } from '../../contract';
import { liveDeployment, readLive, runningDeployment, valueIn } from './live';
import { holdersOf, withEnded } from './record';
import type { FeatureFlagPorts } from './ports';
import { deploymentView, FeatureFlagListing, FeatureFlagStatus, FeatureFlagView } from './types';

/** Changes the listing shows. */
export const LISTED_CHANGES = 5;

const DAY_MS = 86_400_000;

/** Read everything in parallel (the live version's content once the deployments say which it is). */
export async function listFeatureFlags(ports: FeatureFlagPorts, section: FeatureFlagsDescriptor, now: number): Promise<FeatureFlagListing> {
  const [deployments, monitor, stored, declaredContent] = await Promise.all([
    ports.config.listDeployments(),
    ports.monitor.read(),
    ports.records.read(),
    ports.config.readVersion(section.declaredVersion),
  ]);
  const live = liveDeployment(deployments);
  const running = runningDeployment(deployments);
  // A running deployment of the flags already reaches its percentage of the instances (BAKING: all of them).
  const [liveProfile, runningProfile] = await Promise.all([
    readLive(ports.config, live),
    running && !running.otherProfile ? ports.config.readVersion(running.configurationVersion).then(readFeatureFlagProfile) : Promise.resolve(undefined),
  ]);
  // Changes left `deploying` whose deployment has ended show that end (the next set or kill writes it).
  const record = stored && withEnded(stored.record, deployments);
  return {
    at: new Date(now).toISOString(),
    running: running ? deploymentView(running) : null,
    rollout: runningProfile ? rolloutOf(runningProfile, liveProfile) : null,
    liveVersion: live?.configurationVersion ?? null,
    liveDeployment: live ? deploymentView(live) : null,
    declaredVersion: section.declaredVersion,
    flags: flagViews(readFeatureFlagProfile(declaredContent), liveProfile, now),
    monitor: { name: section.monitorAlarmName, state: monitor.state, actionsEnabled: monitor.actionsEnabled },
    monitorSuspensions: holdersOf(record),
    changes: [...(record?.changes ?? [])].reverse().slice(0, LISTED_CHANGES),
  };
}

/** The flags whose value in the running version differs from the live one (null: not in the running version). */
function rolloutOf(running: FeatureFlagProfile, live: FeatureFlagProfile | undefined): { flag: string; enabled: boolean | null }[] {
  const names = [...new Set([...running.flags.map((f) => f.name), ...(live?.flags ?? []).map((f) => f.name)])];
  return names.map((flag) => ({ flag, enabled: valueIn(running, flag) })).filter((f) => f.enabled !== valueIn(live, f.flag));
}

/** Declared flags in their order with their live values, then the live flags no longer declared. */
export function flagViews(declared: FeatureFlagProfile, live: FeatureFlagProfile | undefined, now: number): FeatureFlagView[] {
  const liveByName = new Map((live?.flags ?? []).map((f) => [f.name, f]));
  const declaredNames = new Set(declared.flags.map((f) => f.name));
  const views = declared.flags.map((f) => {
    const liveFlag = liveByName.get(f.name);
    const status: FeatureFlagStatus = f.expiry && featureFlagExpired(f, now) ? 'debt' : liveFlag ? 'ok' : 'not-live';
    return view(f, liveFlag?.enabled ?? null, f.enabled, status, now);
  });
  for (const f of live?.flags ?? []) if (!declaredNames.has(f.name)) views.push(view(f, f.enabled, null, 'undeclared', now));
  return views;
}

function view(
  f: { name: string; description: string; owner: string; created: string; expiry: string },
  live: boolean | null,
  dflt: boolean | null,
  status: FeatureFlagStatus,
  now: number,
): FeatureFlagView {
  const created = f.created ? Date.parse(`${f.created}T00:00:00Z`) : NaN;
  const expiryEnd = f.expiry ? Date.parse(`${f.expiry}T00:00:00Z`) + DAY_MS : NaN;
  return {
    name: f.name,
    live,
    default: dflt,
    owner: f.owner,
    created: f.created,
    expiry: f.expiry,
    ageMs: Number.isNaN(created) ? null : Math.max(0, now - created),
    expiresInMs: Number.isNaN(expiryEnd) ? null : expiryEnd - now,
    status,
    description: f.description,
  };
}
