/**
 * The CLI's door into both Regions of a disaster-recovery pair: clients per Region, descriptors, release ports, the DR
 * engine on its adapters, the DR record's copies and the drill report's Markdown. Like aws-access.ts, every SDK
 * module is imported on first use, so `bluegreen dr --help` loads none.
 *
 * Tests replace all of it through `CliIo.drAccess` (fake engine, fake ports): nothing else in lib/cli reaches the DR
 * engine or its adapters.
 */
import { retryEvent } from '../aws/aws-faults';
import { AwsClients, createAwsClients } from '../aws/clients';
import type { DisasterRecoveryDescriptor, ServiceDescriptor } from '../contract';
import type { Logger, ReleasePorts } from '../release';
import type { DrLogger, DrRecordCopy } from '../release/dr/ports';
import type {
  DrEngineOptions,
  DrillOptions,
  DrillReport,
  DrOutcome,
  DrPlan,
  DrStatus,
  FailbackOptions,
  FailoverOptions,
  ResumeOptions,
} from '../release/dr/types';
import { annotateAwsErrors } from './aws-errors';
import type { CommandContext } from './command';

/** What the CLI calls of the DR engine (`DrEngine` in lib/release/dr/engine.ts, API in lib/release/dr/types.ts). */
export interface DrEngineApi {
  status(): Promise<DrStatus>;
  planFailover(options: FailoverOptions): Promise<DrPlan>;
  failover(options: FailoverOptions): Promise<DrOutcome>;
  planFailback(options: FailbackOptions): Promise<DrPlan>;
  failback(options: FailbackOptions): Promise<DrOutcome>;
  drill(options: DrillOptions): Promise<DrillReport>;
  resume(options?: ResumeOptions): Promise<DrOutcome>;
}

/** One Region's copy of the DR record. */
export interface RegionDrRecord {
  readonly region: string;
  readonly copy: DrRecordCopy;
}

/** Both Regions of a pair, as the `dr` commands and a staggered release reach them. */
export interface DrAccess {
  /** The clients of `region` (the command's own for its Region; others share its call counter). */
  clientsFor(region: string): AwsClients;
  /** The service's descriptor in `region` (one GetParameter). */
  descriptor(region: string): Promise<ServiceDescriptor>;
  /** The release engine's ports on the service in the descriptor's Region. */
  releasePorts(descriptor: ServiceDescriptor, logger: Logger): Promise<ReleasePorts>;
  /** The DR engine over both Regions. `descriptors` already read spare their SSM calls. */
  drEngine(options: DrEngineOptions, logger: DrLogger, descriptors: DescriptorsRead): Promise<DrEngineApi>;
  /** The DR record's copy in each Region (primary first). */
  drRecords(dr: DisasterRecoveryDescriptor, descriptors: DescriptorsRead): Promise<readonly RegionDrRecord[]>;
  /** The drill report as Markdown (`renderDrillMarkdown`). */
  renderDrillMarkdown(report: DrillReport): Promise<string>;
  /** Close the clients this made (not the command's own). */
  close(): void;
}

/** Descriptors a command has read already, by side. */
export interface DescriptorsRead {
  readonly primary?: ServiceDescriptor;
  readonly standby?: ServiceDescriptor;
}

/** Makes a command's `DrAccess` (`CliIo.drAccess` in tests). */
export type DrAccessFactory = (ctx: CommandContext) => DrAccess;

/** The `DrAccess` of a command: the injected one, or the real one on AWS. */
export function drAccessFor(ctx: CommandContext): DrAccess {
  return ctx.io.drAccess ? ctx.io.drAccess(ctx) : awsDrAccess(ctx);
}

/**
 * Another Region's clients: the command's profile, its call counter (so `apiCalls` counts both Regions), short
 * timeouts and two attempts, since during an outage every call to a dead Region waits them out.
 */
const OTHER_REGION = { maxAttempts: 2, connectionTimeoutMs: 2_000, requestTimeoutMs: 4_000 };

/** The real thing: SDK adapters in each Region. */
export function awsDrAccess(ctx: CommandContext): DrAccess {
  const made = new Map<string, AwsClients>();
  const unsubscribe: (() => void)[] = [];
  const clientsFor = (region: string): AwsClients => {
    if (region === ctx.out.region) return ctx.clients;
    let clients = made.get(region);
    if (!clients) {
      clients = annotateAwsErrors(createAwsClients({ region, profile: ctx.global.profile, counter: ctx.clients.counter, ...OTHER_REGION }));
      unsubscribe.push(clients.onRetry((notice) => ctx.out.logger.event({ ...retryEvent(notice), message: `${region}: ${retryEvent(notice).message}` })));
      made.set(region, clients);
    }
    return clients;
  };
  return {
    clientsFor,
    descriptor: async (region) => {
      const { loadDescriptor } = await import('../aws/descriptor');
      return loadDescriptor(ctx.global.service, clientsFor(region));
    },
    releasePorts: async (descriptor, logger) => {
      const { createAwsPorts } = await import('../aws/create-aws-ports');
      return createAwsPorts(descriptor, clientsFor(descriptor.region), logger);
    },
    drEngine: async (options, logger, descriptors) => {
      const [{ createDrPorts }, { lazyRoute53View }, { DrEngine }] = await Promise.all([
        import('../aws/dr/create-dr-ports'),
        import('../aws/dr/lazy-route53-view'),
        import('../release/dr/engine'),
      ]);
      // Route 53's view for dr status, through the standby's clients (its SDK client loads only when status reads it).
      const route53 = lazyRoute53View(clientsFor(options.dr.standbyRegion));
      return new DrEngine(createDrPorts({ service: options.service, dr: options.dr, clientsFor, logger, descriptors, route53, ...ctx.io.drPortsOptions }), options);
    },
    drRecords: async (dr, descriptors) => {
      const { createDrPorts } = await import('../aws/dr/create-dr-ports');
      const ports = createDrPorts({ service: ctx.global.service, dr, clientsFor, logger: { event: () => undefined }, descriptors, ...ctx.io.drPortsOptions });
      return [
        { region: dr.primaryRegion, copy: ports.primary.record },
        { region: dr.standbyRegion, copy: ports.standby.record },
      ];
    },
    renderDrillMarkdown: async (report) => (await import('../release/dr/report-markdown')).renderDrillMarkdown(report),
    close: () => {
      unsubscribe.forEach((u) => u());
      made.forEach((c) => c.destroy());
    },
  };
}
