/**
 * Lambda behind the standby's DR watcher: every minute, in the standby Region, it probes the primary through its
 * Region record, counts consecutive failures in the DR record, and when the decision says so fails over (as an
 * outage: nothing in the primary Region is waited on), resumes an operation whose holder is gone, or latches the
 * drill switch again. One JSON log line per tick; a notice on the service's SNS topic on a failover, a latch or a
 * failure.
 *
 * Fail closed: an error anywhere ends the tick without moving traffic, and the tick does not throw (a Lambda retry
 * would only run a late tick; the next one comes within a minute).
 */
import { descriptorParameterName, drRegionHealthAlarmName, DR_WATCHER_ENV } from '../../contract';
import { createAwsClients, AwsClients } from '../../aws';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createDrPorts, DrNotifier, metricAlarmState, SnsDrNotifier } from '../../aws/dr';
import { DrEvent } from '../../release/dr/ports';
import { decideWatch, DrEngine } from './engine';
import { DescriptorCache } from '../auto-rollback/descriptor-cache';
import { QuietNotifier } from './quiet-notifier';
import { eventLine, standbySection, TickResult, watchTick, WATCHER_DEADLINE_MS } from './watch-tick';

export { DR_WATCHER_ENV } from '../../contract';

/** Timeouts of the primary Region's clients: one attempt each, so a dead Region costs seconds, not minutes. */
const PRIMARY_CLIENT_OPTIONS = { maxAttempts: 1, connectionTimeoutMs: 2_000, requestTimeoutMs: 3_000 } as const;

/** One JSON line. */
export type WatcherLogLine = TickResult & { readonly level: 'info' | 'error'; readonly kind: 'tick'; readonly requestId?: string; readonly events?: readonly string[] };

/** What one tick needs beyond the environment (tests pass their own). */
export interface WatcherConfig {
  readonly serviceName: string;
  /** The standby Region's clients. */
  readonly clients: AwsClients;
  /** Clients of another Region. */
  clientsFor(region: string): AwsClients;
  readonly descriptors: DescriptorCache;
  /** @default - SNS Publish to the descriptor's topic */
  readonly notifier?: DrNotifier;
  /**
   * The notifier of a topic, when `notifier` is not given (the handler's keeps a quiet period across ticks).
   *
   * @default - a new SNS notifier each tick
   */
  notifierFor?(topicArn: string): DrNotifier;
  /** @default - one JSON line on stdout */
  readonly log?: (line: WatcherLogLine) => void;
  readonly requestId?: string;
  /**
   * Consecutive failed probes of the primary before failing over (the construct's `watcherFailureThreshold`).
   *
   * @default - the descriptor's DNS failure threshold
   */
  readonly failureThreshold?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Kept across invocations of a warm function. */
interface Shared {
  readonly clients: AwsClients;
  readonly others: Map<string, AwsClients>;
  descriptors?: DescriptorCache;
  /** Notices to the service's topic, each subject at most once per quiet period. */
  notifier?: { readonly topicArn: string; readonly quiet: QuietNotifier };
}
let shared: Shared | undefined;

/** Lambda entry point (a scheduled event; its content is not used). */
export async function handler(_event: unknown, context?: { readonly awsRequestId?: string }): Promise<WatcherLogLine> {
  const { serviceName, parameter, failureThreshold } = watcherEnvironment(process.env);
  const state: Shared = (shared ??= { clients: createAwsClients(), others: new Map<string, AwsClients>() });
  const descriptors = state.descriptors?.serviceName === serviceName ? state.descriptors : (state.descriptors = new DescriptorCache(serviceName));
  const config: WatcherConfig = {
    serviceName,
    clients: state.clients,
    clientsFor: (region) => {
      let c = state.others.get(region);
      if (!c) state.others.set(region, (c = createAwsClients({ region, ...PRIMARY_CLIENT_OPTIONS })));
      return c;
    },
    descriptors,
    requestId: context?.awsRequestId,
    failureThreshold,
    notifierFor: (topicArn) => {
      if (state.notifier?.topicArn !== topicArn) state.notifier = { topicArn, quiet: new QuietNotifier(new SnsDrNotifier(topicArn, state.clients)) };
      return state.notifier.quiet;
    },
  };
  return runWatcher(config, parameter);
}

/** What the watcher's construct put in the environment (DR_WATCHER_ENV); checked by `runWatcher`. */
export function watcherEnvironment(env: Readonly<Record<string, string | undefined>>): { serviceName: string; parameter?: string; failureThreshold?: number } {
  return {
    serviceName: env[DR_WATCHER_ENV.SERVICE_NAME] ?? '',
    parameter: env[DR_WATCHER_ENV.DESCRIPTOR_PARAMETER],
    failureThreshold: positiveInt(env[DR_WATCHER_ENV.FAILURE_THRESHOLD]),
  };
}

/** One tick, logged; never throws. */
export async function runWatcher(config: WatcherConfig, parameter?: string): Promise<WatcherLogLine> {
  const now = (config.now ?? Date.now)();
  const events: string[] = [];
  const write = config.log ?? ((line: WatcherLogLine) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const done = (line: WatcherLogLine): WatcherLogLine => {
    write(line);
    return line;
  };
  let notifier = config.notifier;
  try {
    checkEnvironment(config.serviceName, parameter);
    const descriptor = await config.descriptors.get(config.clients);
    notifier ??= config.notifierFor?.(descriptor.topicArn) ?? new SnsDrNotifier(descriptor.topicArn, config.clients);
    const dr = standbySection(descriptor);
    config.clients.setDeadline(now + WATCHER_DEADLINE_MS + 60_000, 'the watcher\'s 14-minute budget');
    const ports = createDrPorts({
      service: config.serviceName,
      dr,
      clientsFor: (region) => (region === descriptor.region ? config.clients : config.clientsFor(region)),
      logger: { event: (e: DrEvent) => events.push(eventLine(e)) },
      descriptors: { standby: descriptor },
    });
    const result = await watchTick(
      {
        service: config.serviceName,
        descriptor,
        ports,
        decide: decideWatch,
        engine: (options) => new DrEngine(ports, options),
        notifier,
        failureThreshold: config.failureThreshold,
        primaryHealthAlarm: () =>
          metricAlarmState(config.clientsFor(dr.primaryRegion).get(CloudWatchClient), drRegionHealthAlarmName(config.serviceName, dr.primaryRegion), (region) => `The primary's health alarm does not exist in ${region}.`),
      },
      now,
    );
    return done({ level: result.outcome && result.outcome.result !== 'done' ? 'error' : 'info', kind: 'tick', ...result, ...common(config, events) });
  } catch (e) {
    // Cached state may be what failed (a replaced resource): read it afresh next tick.
    config.descriptors.forget();
    const reason = `watcher tick failed, nothing was changed by it after the failure: ${(e as Error).message}`;
    const warnings: string[] = [];
    if (notifier) {
      await notifier.notify(`${config.serviceName}: DR watcher failed`, `bluegreen DR: ${reason}`).catch((n: Error) => warnings.push(`the notice was not published: ${n.message}`));
    }
    return done({ level: 'error', kind: 'tick', service: config.serviceName, action: 'error', reason, ...(warnings.length ? { warnings } : {}), ...common(config, events) });
  } finally {
    config.clients.setDeadline(undefined);
  }
}

function common(config: WatcherConfig, events: string[]): Pick<WatcherLogLine, 'requestId' | 'events'> {
  return { ...(config.requestId ? { requestId: config.requestId } : {}), ...(events.length ? { events } : {}) };
}

/** The two variables the construct sets, consistent with each other. */
function checkEnvironment(service: string, parameter: string | undefined): void {
  if (!service) throw new Error(`Environment variable ${DR_WATCHER_ENV.SERVICE_NAME} is not set: the watcher's construct sets it; redeploy the standby's stack.`);
  const expected = descriptorParameterName(service);
  if (parameter && parameter !== expected) {
    throw new Error(
      `Environment variable ${DR_WATCHER_ENV.DESCRIPTOR_PARAMETER} is '${parameter}', but the descriptor of ${service} is ${expected}. ` +
        'Redeploy the standby\'s stack so that they agree.',
    );
  }
}

/** A positive integer from the environment, or undefined when unset or malformed (the descriptor's default applies). */
function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}
