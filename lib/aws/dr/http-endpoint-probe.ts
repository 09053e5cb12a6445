import * as http from 'node:http';
import * as https from 'node:https';
import { LookupFunction } from 'node:net';
import { DisasterRecoveryDescriptor, DrEndpointDescriptor } from '../../contract';
import { DrSide, EndpointProbe, ProbeResult } from '../../release/dr/ports';
import { DnsResolve, dnsResolve } from './dns-resolve';
import { DrRecordNames, drRecordNames, sideOf } from './resolver-dns-answers';

/** Default time a probe waits for an answer (DNS included), ms: as long as Route 53's HTTP checks wait (4 s), less. */
export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/** Where a probe goes, instead of `<protocol>://<name>:<port>` (tests: a loopback server). */
export interface ProbeBaseUrls {
  /** @default - `<protocol>://<primary region record>:<port>` */
  readonly primary?: string;
  /** @default - `<protocol>://<standby region record>:<port>` */
  readonly standby?: string;
  /** @default - `<protocol>://<failover record>:<port>` */
  readonly record?: string;
}

/** Options of `HttpEndpointProbe`. */
export interface HttpEndpointProbeOptions {
  /**
   * How names are resolved, for requests and to tell which side served.
   *
   * @default - DNS asked directly (`dnsResolve()`), not the operating system's cache
   */
  readonly resolve?: DnsResolve;
  /**
   * Longest wait for an answer, DNS included, ms.
   *
   * @default DEFAULT_PROBE_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
  /**
   * Base URLs replacing `<protocol>://<name>:<port>`; the health path is appended.
   *
   * @default - the records of the descriptor
   */
  readonly baseUrls?: ProbeBaseUrls;
}

/** A probe's result and the address it reached. */
interface Answer extends ProbeResult {
  readonly address?: string;
}

/**
 * Requests to the health path as a client makes them: `GET <protocol>://<name>:<port><healthPath>` through a
 * Region's own record or the failover record.
 *
 * Every request resolves its name afresh and opens a new connection (`agent: false`): a kept-alive connection to the
 * old load balancer would hide that DNS moved. A 2xx or 3xx answer within the timeout is a success, as for Route 53's
 * HTTP health checks.
 */
export class HttpEndpointProbe implements EndpointProbe {
  /** Probes of the records and endpoint of `dr`. */
  public static fromDescriptor(dr: DisasterRecoveryDescriptor, options: HttpEndpointProbeOptions = {}): HttpEndpointProbe {
    return new HttpEndpointProbe(drRecordNames(dr), dr.endpoint, options);
  }

  private readonly resolve: DnsResolve;
  private readonly timeoutMs: number;

  constructor(
    private readonly names: DrRecordNames,
    private readonly endpoint: DrEndpointDescriptor,
    private readonly options: HttpEndpointProbeOptions = {},
  ) {
    const protocol = endpoint.protocol.toUpperCase();
    if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
      throw new Error(`disasterRecovery.endpoint.protocol must be HTTP or HTTPS, got '${endpoint.protocol}'. Redeploy the service with a supported listener.`);
    }
    if (!endpoint.healthPath.startsWith('/')) {
      throw new Error(`disasterRecovery.endpoint.healthPath must start with '/', got '${endpoint.healthPath}'. Redeploy the service with an absolute health path.`);
    }
    this.resolve = options.resolve ?? dnsResolve();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  /** One GET through the side's own record. */
  public async region(side: DrSide): Promise<ProbeResult> {
    const { address: _address, ...result } = await this.get(this.url(side));
    return result;
  }

  /** One GET through the failover record, and the two Region records resolved to tell which side answered. */
  public async record(): Promise<ProbeResult & { readonly servedBy: DrSide | 'unknown' }> {
    const lookup = (name: string) => this.resolve(name).catch(() => [] as string[]);
    const [answer, primary, standby] = await Promise.all([this.get(this.url('record')), lookup(this.names.primary), lookup(this.names.standby)]);
    const { address, ...result } = answer;
    return { ...result, servedBy: address ? sideOf([address], primary, standby) : 'unknown' };
  }

  private url(target: DrSide | 'record'): URL {
    const base = this.options.baseUrls?.[target] ?? `${this.endpoint.protocol.toLowerCase()}://${this.names[target]}:${this.endpoint.port}`;
    return new URL(this.endpoint.healthPath, base);
  }

  /** GET `url`; never throws: a failure is a result. */
  private get(url: URL): Promise<Answer> {
    const started = Date.now();
    let address: string | undefined;
    return new Promise<Answer>((settle) => {
      let done = false;
      const finish = (result: Omit<Answer, 'ms'>) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        settle({ ...result, ms: Date.now() - started, ...(address ? { address } : {}) });
      };
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'GET',
          agent: false,
          lookup: this.lookup((a) => (address = a)),
          headers: { 'user-agent': 'bluegreen-dr-probe', connection: 'close' },
          // Route 53's HTTPS health checks do not validate certificates either, and a Region's own record
          // (`<region>.<record>`) is rarely a name on the certificate: the probe asks whether the service answers,
          // not who it is (clients, who do validate, go through the failover record's certificate name).
          ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
        },
        (response) => {
          address = response.socket.remoteAddress ?? address;
          const status = response.statusCode ?? 0;
          response.resume();
          finish({ ok: status >= 200 && status < 400, status });
        },
      );
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs / 1000}s`)), this.timeoutMs);
      request.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message }));
      request.end();
    });
  }

  /** A lookup through `resolve` (no OS cache) that reports the first address it gives out. */
  private lookup(seen: (address: string) => void): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          if (addresses.length === 0) {
            callback(Object.assign(new Error(`${hostname} has no A record`), { code: 'ENOTFOUND' }), '', 4);
            return;
          }
          seen(addresses[0]);
          if (options.all) callback(null, addresses.map((a) => ({ address: a, family: 4 })));
          else callback(null, addresses[0], 4);
        },
        (e: NodeJS.ErrnoException) => callback(e, '', 4),
      );
    };
  }
}
