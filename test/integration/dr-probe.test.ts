/**
 * DNS answers and HTTP probes of a DR pair against loopback servers: the primary's "load balancer" on 127.0.0.1 and
 * the standby's on 127.0.0.2 (Linux answers on all of 127/8), same port, with an injected resolver standing in for
 * Route 53 (no DNS is served locally). HTTPS is not exercised (no certificate here); it differs only in the module
 * used and in not validating certificates.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrRecordNames, dnsResolve, HttpEndpointProbe, ResolverDnsAnswers, sideOf } from '../../lib/aws/dr';

const PRIMARY = '127.0.0.1';
const STANDBY = '127.0.0.2';
const NAMES: DrRecordNames = { record: 'shop.example.test', primary: 'eu-west-1.shop.example.test', standby: 'eu-central-1.shop.example.test' };

interface Seen {
  readonly host?: string;
  readonly url?: string;
  readonly server: string;
}

let port = 0;
const servers: http.Server[] = [];
const seen: Seen[] = [];
/** Status each side answers with; `hang` never answers. */
const answer: Record<string, number | 'hang'> = { [PRIMARY]: 200, [STANDBY]: 200 };

beforeAll(async () => {
  for (const address of [PRIMARY, STANDBY]) {
    const server = http.createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url, server: address });
      const status = answer[address];
      if (status === 'hang') return;
      res.writeHead(status).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(port, address, resolve));
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A resolver from a table of names (what Route 53 would answer now). */
function table(entries: Record<string, string[]>): (name: string) => Promise<string[]> {
  return async (name) => {
    const addresses = entries[name];
    if (!addresses) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return addresses;
  };
}

const regions = { [NAMES.primary]: [PRIMARY], [NAMES.standby]: [STANDBY] };
const endpoint = () => ({ protocol: 'HTTP', port, healthPath: '/health?probe=1' });

describe('ResolverDnsAnswers', () => {
  it('tells which side the failover record answers with by overlapping addresses', async () => {
    // GIVEN Region records of two addresses each, the record answering a subset of one of them
    const resolveWith = (record: string[]) =>
      table({ [NAMES.record]: record, [NAMES.primary]: ['10.0.0.1', '10.0.0.2'], [NAMES.standby]: ['10.1.0.1', '10.1.0.2'] });
    // WHEN / THEN
    expect(await new ResolverDnsAnswers(NAMES, resolveWith(['10.0.0.2'])).answering()).toBe('primary');
    expect(await new ResolverDnsAnswers(NAMES, resolveWith(['10.1.0.1', '10.1.0.2'])).answering()).toBe('standby');
    expect(await new ResolverDnsAnswers(NAMES, resolveWith(['10.0.0.1', '10.1.0.1'])).answering()).toBe('unknown');
    expect(await new ResolverDnsAnswers(NAMES, resolveWith(['192.0.2.1'])).answering()).toBe('unknown');
  });

  it('says unknown when a name does not resolve', async () => {
    // GIVEN the failover record or a Region record not resolving
    const noRecord = table({ [NAMES.primary]: ['10.0.0.1'], [NAMES.standby]: ['10.1.0.1'] });
    const noStandby = table({ [NAMES.record]: ['10.1.0.1'], [NAMES.primary]: ['10.0.0.1'] });
    // WHEN / THEN the record cannot be placed, or is placed by the side that did resolve
    expect(await new ResolverDnsAnswers(NAMES, noRecord).answering()).toBe('unknown');
    expect(await new ResolverDnsAnswers(NAMES, noStandby).answering()).toBe('unknown');
    expect(sideOf(['10.0.0.1'], ['10.0.0.1'], [])).toBe('primary');
  });

  it('asks the given name servers, and fails when they do not answer', async () => {
    // GIVEN a resolver pointed at a port where no DNS server listens
    const resolve = dnsResolve({ servers: [`127.0.0.1:${port}`], timeoutMs: 200 });
    // WHEN / THEN the lookup fails (it does not fall back to the system's resolvers)
    await expect(resolve(NAMES.record)).rejects.toThrow();
  });
});

describe('HttpEndpointProbe', () => {
  it('GETs the health path through a side\'s own record, with its name in the Host header', async () => {
    // GIVEN the probe of a pair whose Region records resolve to the two servers
    const probe = new HttpEndpointProbe(NAMES, endpoint(), { resolve: table(regions) });
    seen.length = 0;
    // WHEN each side is probed
    const [primary, standby] = [await probe.region('primary'), await probe.region('standby')];
    // THEN each reached its own server on the health path
    expect(primary).toMatchObject({ ok: true, status: 200 });
    expect(standby).toMatchObject({ ok: true, status: 200 });
    expect(primary.ms).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual([
      { host: `${NAMES.primary}:${port}`, url: '/health?probe=1', server: PRIMARY },
      { host: `${NAMES.standby}:${port}`, url: '/health?probe=1', server: STANDBY },
    ]);
  });

  it('resolves the failover record afresh on every request and says which side served', async () => {
    // GIVEN a record that answers the primary, then (DNS moved) the standby
    const now: Record<string, string[]> = { ...regions, [NAMES.record]: [PRIMARY] };
    const probe = new HttpEndpointProbe(NAMES, endpoint(), { resolve: table(now) });
    // WHEN the record is probed before and after the move
    const before = await probe.record();
    now[NAMES.record] = [STANDBY];
    const after = await probe.record();
    // THEN the second request went to the standby: no cached answer or kept-alive connection hid the move
    expect(before).toMatchObject({ ok: true, status: 200, servedBy: 'primary' });
    expect(after).toMatchObject({ ok: true, status: 200, servedBy: 'standby' });
  });

  it('reports an error status, a silent server and an unresolvable name as failures, without throwing', async () => {
    // GIVEN the primary answering 503, the standby never answering, and a record that does not resolve
    answer[PRIMARY] = 503;
    answer[STANDBY] = 'hang';
    try {
      const probe = new HttpEndpointProbe(NAMES, endpoint(), { resolve: table(regions), timeoutMs: 300 });
      // WHEN / THEN
      expect(await probe.region('primary')).toMatchObject({ ok: false, status: 503 });
      const silent = await probe.region('standby');
      expect(silent).toMatchObject({ ok: false, error: 'no answer within 0.3s' });
      expect(silent.ms).toBeGreaterThanOrEqual(290);
      expect(await probe.record()).toMatchObject({ ok: false, servedBy: 'unknown', error: expect.stringMatching(/ENOTFOUND/) });
    } finally {
      answer[PRIMARY] = 200;
      answer[STANDBY] = 200;
    }
  });

  it('goes to a base URL instead of the record when told, and still tells the side by address', async () => {
    // GIVEN a base URL override for the record, pointing at the standby's address
    const probe = new HttpEndpointProbe(NAMES, endpoint(), { resolve: table(regions), baseUrls: { record: `http://${STANDBY}:${port}` } });
    // WHEN / THEN
    expect(await probe.record()).toMatchObject({ ok: true, servedBy: 'standby' });
  });

  it('refuses an endpoint it cannot probe, naming the property and the value', () => {
    // WHEN / THEN
    expect(() => new HttpEndpointProbe(NAMES, { protocol: 'TCP', port: 80, healthPath: '/' })).toThrow(/disasterRecovery\.endpoint\.protocol must be HTTP or HTTPS, got 'TCP'/);
    expect(() => new HttpEndpointProbe(NAMES, { protocol: 'HTTP', port: 80, healthPath: 'health' })).toThrow(/healthPath must start with '\/', got 'health'/);
  });
});
