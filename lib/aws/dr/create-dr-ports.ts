import { DisasterRecoveryDescriptor, ServiceDescriptor } from '../../contract';
import { DnsAnswers, DrLogger, DrPorts, EndpointProbe, RegionService, Route53View } from '../../release/dr/ports';
import { Clock } from '../../release/ports';
import { AwsClients } from '../clients';
import { SystemClock } from '../system-clock';
import { AwsRegionService } from './aws-region-service';
import { CloudWatchDnsSwitch } from './cloudwatch-dns-switch';
import { DnsResolve, dnsResolve } from './dns-resolve';
import { HttpEndpointProbe, ProbeBaseUrls } from './http-endpoint-probe';
import { LazyRegionService } from './lazy-region-service';
import { ResolverDnsAnswers } from './resolver-dns-answers';

/** What a probe does instead of requesting the records (tests, a bench against loopback servers). */
export interface DrProbeOverride {
  /**
   * Base URLs replacing `<protocol>://<name>:<port>`.
   *
   * @default - the records of the descriptor
   */
  readonly baseUrls?: ProbeBaseUrls;
  /**
   * A whole probe instead of HTTP requests.
   *
   * @default - an HttpEndpointProbe
   */
  readonly probe?: EndpointProbe;
  /**
   * Which side DNS answers with, instead of resolving the records.
   *
   * @default - a ResolverDnsAnswers
   */
  readonly dns?: DnsAnswers;
  /**
   * Time a probe waits, ms.
   *
   * @default DEFAULT_PROBE_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
}

/** Options of `createDrPorts`. */
export interface CreateDrPortsOptions {
  /** The service. */
  readonly service: string;
  /** The `disasterRecovery` section of either Region's descriptor (both name the same Regions and records). */
  readonly dr: DisasterRecoveryDescriptor;
  /**
   * The clients of a Region. Give the primary's short timeouts and few attempts: during an outage every call to it
   * waits them out (the engine bounds them too, with `regionTimeoutMs`).
   */
  clientsFor(region: string): AwsClients;
  /** Where the engine's events go. */
  readonly logger: DrLogger;
  /**
   * How the records' names are resolved (DNS answers and probes).
   *
   * @default - DNS asked directly (`dnsResolve()`)
   */
  readonly resolver?: DnsResolve;
  /**
   * Probes and DNS answers replaced or redirected.
   *
   * @default - HTTP requests to the records, answers from DNS
   */
  readonly probeOverride?: DrProbeOverride;
  /**
   * Descriptors already read, so that their Region's service needs no SSM call. The primary's is read on first use
   * when absent, so creating the ports never calls the primary Region.
   *
   * @default - both read on first use
   */
  readonly descriptors?: { readonly primary?: ServiceDescriptor; readonly standby?: ServiceDescriptor };
  /** @default - wall-clock time */
  readonly clock?: Clock;
  /**
   * Route 53's view, which only `dr status` reads: the CLI gives `lazyRoute53View(...)` (lazy-route53-view.ts). Not
   * made here, so that the watcher's bundle, which never reads status, carries no Route 53 client or permission.
   *
   * @default - none: status shows no health checks or TestDNSAnswer
   */
  readonly route53?: Route53View;
}

/**
 * Every port of the DR state machine for one service: each Region's service through its own clients (the primary's
 * loaded lazily, so a dead primary Region fails only the calls that need it), the drill switch in the standby
 * Region, DNS answers and HTTP probes. Makes no call itself.
 */
export function createDrPorts(options: CreateDrPortsOptions): DrPorts {
  const { dr, service } = options;
  const clock = options.clock ?? new SystemClock();
  const resolve = options.resolver ?? dnsResolve();
  const override = options.probeOverride ?? {};
  const standbyClients = options.clientsFor(dr.standbyRegion);
  return {
    primary: regionService(dr.primaryRegion, service, options.clientsFor(dr.primaryRegion), clock, options.descriptors?.primary),
    standby: regionService(dr.standbyRegion, service, standbyClients, clock, options.descriptors?.standby),
    dnsSwitch: CloudWatchDnsSwitch.fromClients(standbyClients, service, dr.switchAlarmName),
    dns: override.dns ?? ResolverDnsAnswers.fromDescriptor(dr, resolve),
    probe: override.probe ?? HttpEndpointProbe.fromDescriptor(dr, { resolve, baseUrls: override.baseUrls, timeoutMs: override.timeoutMs }),
    ...(options.route53 ? { route53: options.route53 } : {}),
    clock,
    logger: options.logger,
  };
}

function regionService(region: string, service: string, clients: AwsClients, clock: Clock, descriptor?: ServiceDescriptor): RegionService {
  if (descriptor === undefined) return new LazyRegionService(region, service, clients, clock);
  if (descriptor.region !== region || descriptor.service !== service) {
    throw new Error(
      `createDrPorts: the descriptor given for ${service} in ${region} is ${descriptor.service}'s in ${descriptor.region}. Pass the descriptor read from ${region}.`,
    );
  }
  return AwsRegionService.fromClients(descriptor, clients, clock);
}

