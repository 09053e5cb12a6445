import { Resolver } from 'node:dns/promises';

/** Resolve a name to its IPv4 addresses (throws when it cannot). Tests pass their own. */
export type DnsResolve = (name: string) => Promise<string[]>;

/** Options of `dnsResolve`. */
export interface DnsResolveOptions {
  /**
   * Name servers to ask, e.g. the hosted zone's own (`ns-1.awsdns-01.org`'s addresses), which answer without a
   * recursive resolver's cache.
   *
   * @default - the system's resolvers (/etc/resolv.conf)
   */
  readonly servers?: readonly string[];
  /**
   * Time per query attempt, ms.
   *
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/**
 * A `DnsResolve` asking DNS directly (A records, `node:dns` Resolver): unlike `dns.lookup`, which the HTTP client
 * uses by default, it bypasses the operating system's resolver cache, so a record that moved is seen as soon as the
 * name servers asked say so (a recursive resolver still keeps an answer for its TTL, as it does for clients).
 */
export function dnsResolve(options: DnsResolveOptions = {}): DnsResolve {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2_000, tries: 2 });
  if (options.servers?.length) resolver.setServers([...options.servers]);
  return (name) => resolver.resolve4(name);
}
