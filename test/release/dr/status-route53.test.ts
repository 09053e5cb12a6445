/**
 * `DrEngine.status` with Route 53's view (DrPorts.route53, a fake here): each Region's failover-record health check
 * and which side TestDNSAnswer gives, beside the resolver's answer; without the port, none of it and nothing fails.
 */
import { describe, expect, it } from 'vitest';
import { DrEngine, DrSide, HealthCheckState, Route53View } from '../../../lib/release/dr';
import { descriptor, FakeWorld, PRIMARY, SERVICE, STANDBY } from './fakes';

const ZONE = 'Z0123456789';
const ADDRESSES: Readonly<Record<string, string[]>> = {
  'web.example.com': ['192.0.2.20'],
  [`${PRIMARY}.web.example.com`]: ['192.0.2.10', '192.0.2.11'],
  [`${STANDBY}.web.example.com`]: ['192.0.2.20', '192.0.2.21'],
};

/** A Route 53 whose answers the test sets; records the calls. */
class FakeRoute53 implements Route53View {
  public calls: string[] = [];
  public checks: Partial<Record<DrSide, string>> = { primary: 'hc-primary', standby: 'hc-standby' };
  public states: Record<string, HealthCheckState> = { 'hc-primary': 'unhealthy', 'hc-standby': 'healthy' };
  public answers: Record<string, string[] | undefined> = { ...ADDRESSES };
  public failing = false;
  public hanging = false;

  public async failoverHealthChecks(zone: string, name: string): Promise<Partial<Record<DrSide, string>>> {
    return this.answer(`records ${zone} ${name}`, () => this.checks);
  }

  public async healthCheckStatus(id: string): Promise<HealthCheckState> {
    return this.answer(`status ${id}`, () => this.states[id] ?? 'unknown');
  }

  public async testDnsAnswer(zone: string, name: string): Promise<string[] | undefined> {
    return this.answer(`test ${zone} ${name}`, () => this.answers[name]);
  }

  private answer<T>(call: string, value: () => T): Promise<T> {
    this.calls.push(call);
    if (this.hanging) return new Promise<T>(() => undefined);
    return this.failing ? Promise.reject(new Error('AccessDenied')) : Promise.resolve(value());
  }
}

function engineWith(world: FakeWorld, route53?: Route53View, healthCheckId?: string): DrEngine {
  const proc = world.process('status');
  const dr = descriptor(world.standby.colours.blue.deployed, healthCheckId ? { healthCheckId } : {});
  return new DrEngine({ ...proc.ports, ...(route53 ? { route53 } : {}) }, { service: SERVICE, owner: proc.name, dr, pollMs: 5_000, regionTimeoutMs: 2_000 });
}

describe("DrEngine.status with Route 53's view", () => {
  it("shows each Region's failover-record check with its state, and the side TestDNSAnswer gives beside the resolver's", async () => {
    // GIVEN the resolver still answering the primary (cached), Route 53 already answering the standby
    const world = new FakeWorld();
    const route53 = new FakeRoute53();

    // WHEN
    const status = await engineWith(world, route53).status();

    // THEN
    expect(status.primary.healthCheck).toEqual({ id: 'hc-primary', status: 'unhealthy' });
    expect(status.standby.healthCheck).toEqual({ id: 'hc-standby', status: 'healthy' });
    expect(status.dnsAnswering).toBe('primary');
    expect(status.route53Answer).toBe('standby');
    // AND the record and both Region records were asked of the descriptor's zone, the checks from its failover records
    expect(route53.calls).toEqual(
      expect.arrayContaining([
        `records ${ZONE} web.example.com`,
        `test ${ZONE} web.example.com`,
        `test ${ZONE} ${PRIMARY}.web.example.com`,
        `test ${ZONE} ${STANDBY}.web.example.com`,
        'status hc-primary',
        'status hc-standby',
      ]),
    );
  });

  it("keeps the primary's check although its Region cannot be read (Route 53 is global)", async () => {
    const world = new FakeWorld();
    world.primary.reach = 'hang';
    const status = await engineWith(world, new FakeRoute53()).status();
    expect(status.primary).toMatchObject({ reachable: false, healthCheck: { id: 'hc-primary', status: 'unhealthy' } });
  });

  it('answers primary, or unknown when TestDNSAnswer gives nothing or addresses of neither Region', async () => {
    const world = new FakeWorld();
    const route53 = new FakeRoute53();
    route53.answers['web.example.com'] = ['192.0.2.11'];
    expect((await engineWith(world, route53).status()).route53Answer).toBe('primary');
    route53.answers['web.example.com'] = undefined;
    expect((await engineWith(world, route53).status()).route53Answer).toBe('unknown');
    route53.answers['web.example.com'] = ['198.51.100.1'];
    expect((await engineWith(world, route53).status()).route53Answer).toBe('unknown');
  });

  it("falls back to the standby descriptor's own check when the zone's records cannot be read", async () => {
    const world = new FakeWorld();
    const route53 = new FakeRoute53();
    route53.checks = {};
    const status = await engineWith(world, route53, 'hc-from-descriptor').status();
    expect(status.standby.healthCheck).toEqual({ id: 'hc-from-descriptor', status: 'unknown' });
    expect(status.primary.healthCheck).toBeUndefined();
  });

  it('never fails status: a failing Route 53 gives unknown, a silent one is given up on after the Region timeout', async () => {
    // GIVEN Route 53 refusing every call
    const world = new FakeWorld();
    const failing = new FakeRoute53();
    failing.failing = true;
    const refused = await engineWith(world, failing, 'hc-standby').status();
    expect(refused.route53Answer).toBe('unknown');
    expect(refused.standby.healthCheck).toEqual({ id: 'hc-standby', status: 'unknown' });
    expect(refused.primary).toMatchObject({ reachable: true });
    // AND Route 53 never answering
    const hanging = new FakeRoute53();
    hanging.hanging = true;
    const quiet = new FakeWorld();
    const before = quiet.clock.now();
    const silent = await engineWith(quiet, hanging, 'hc-standby').status();
    expect(silent.route53Answer).toBe('unknown');
    expect(silent.standby.healthCheck).toEqual({ id: 'hc-standby', status: 'unknown' });
    expect(silent.primary).toMatchObject({ reachable: true });
    // two rounds, each given up on after the Region timeout: the records (with TestDNSAnswer), then the checks' states
    expect(quiet.clock.now() - before).toBe(4_000);
  });

  it('without the port: no health check, no route53Answer, the rest as before', async () => {
    const status = await engineWith(new FakeWorld()).status();
    expect(status).not.toHaveProperty('route53Answer');
    expect(status.primary).not.toHaveProperty('healthCheck');
    expect(status.standby).not.toHaveProperty('healthCheck');
    expect(status).toMatchObject({ dnsAnswering: 'primary', primary: { reachable: true }, standby: { reachable: true } });
  });
});
