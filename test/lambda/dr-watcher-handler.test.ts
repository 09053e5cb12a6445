/**
 * The watcher's entry point: environment, descriptor, one log line per tick, fail-closed errors and notices.
 * `decideWatch` and `DrEngine` are the engine's (lib/release/dr, tested there) and `createDrPorts` is tested against
 * moto: all three are replaced here, so this test needs neither AWS nor the engine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsClients } from '../../lib/aws';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { runWatcher, WatcherConfig, WatcherLogLine } from '../../lib/lambda/dr-watcher';
import { QuietNotifier } from '../../lib/lambda/dr-watcher/quiet-notifier';
import { ServiceDescriptor } from '../../lib/contract';
import { WatchDecision } from '../../lib/release/dr/types';
import { fakeDr, FakeDr, standbyDescriptor } from './dr-watcher-fakes';

const decision = vi.hoisted(() => ({ next: { action: 'none', reason: 'primary answers' } as { action: string; reason: string } }));
const engine = vi.hoisted(() => ({ created: [] as unknown[], failover: vi.fn() }));
const dr = vi.hoisted(() => ({ current: undefined as unknown }));

// lib/lambda/dr-watcher/engine.ts re-exports the engine's decideWatch and DrEngine: replaced whole (no original load).
vi.mock('../../lib/lambda/dr-watcher/engine', () => ({
  decideWatch: () => decision.next,
  DrEngine: class {
    constructor(ports: unknown, options: unknown) {
      engine.created.push({ ports, options });
    }
    failover = engine.failover;
    resume = vi.fn();
  },
}));
vi.mock('../../lib/aws/dr', async (original) => ({
  ...(await original<typeof import('../../lib/aws/dr')>()),
  createDrPorts: (options: { logger: { event(e: unknown): void } }) => {
    const fake = dr.current as FakeDr;
    return { ...fake.ports, logger: options.logger };
  },
}));

/** A descriptor cache that serves `descriptor` (or fails) without SSM. */
class FixedDescriptors extends DescriptorCache {
  public forgotten = 0;
  constructor(private readonly served: ServiceDescriptor | Error) {
    super('web');
  }
  public override async get(): Promise<ServiceDescriptor> {
    if (this.served instanceof Error) throw this.served;
    return this.served;
  }
  public override forget(): void {
    this.forgotten++;
  }
}

function config(served: ServiceDescriptor | Error, lines: WatcherLogLine[], notices: string[]): WatcherConfig {
  return {
    serviceName: 'web',
    clients: createAwsClients({ region: 'eu-central-1' }),
    clientsFor: (region) => createAwsClients({ region }),
    descriptors: new FixedDescriptors(served),
    notifier: { notify: async (s, m) => void notices.push(`${s} | ${m}`) },
    log: (line) => lines.push(line),
    requestId: 'req-1',
    now: () => 5_000_000,
  };
}

afterEach(() => {
  engine.created.length = 0;
  engine.failover.mockReset();
  decision.next = { action: 'none', reason: 'primary answers' };
});

describe('dr-watcher handler', () => {
  it('logs one JSON line per tick with what it saw and decided', async () => {
    // GIVEN a healthy primary
    const fake = fakeDr();
    dr.current = fake;
    fake.copies.standby.stored = { record: { service: 'web', generation: 2, phase: 'normal', activeRegion: 'eu-west-1', since: 1, primarySeenAt: 5_000_000 }, version: 1 };
    const lines: WatcherLogLine[] = [];
    // WHEN a tick runs
    const line = await runWatcher(config(standbyDescriptor(), lines, []), '/bluegreen/web/descriptor');
    // THEN one line, info, naming the request
    expect(lines).toEqual([line]);
    expect(line).toMatchObject({ level: 'info', kind: 'tick', service: 'web', action: 'none', reason: 'primary answers', switchState: 'OK', phase: 'normal', requestId: 'req-1' });
    expect(JSON.parse(JSON.stringify(line))).toEqual(line);
  });

  it('fails over through the engine, lists its events in the tick\'s line, and notifies', async () => {
    // GIVEN a decision to fail over, and an engine that reports an event
    const fake = fakeDr();
    dr.current = fake;
    decision.next = { action: 'failover', reason: '3 failed probes' } satisfies WatchDecision;
    engine.failover.mockImplementation(async () => {
      const { ports } = engine.created[0] as { ports: { logger: { event(e: unknown): void } } };
      ports.logger.event({ type: 'dns-moved', message: 'switch set', at: 0, region: 'eu-central-1' });
      return { kind: 'failover', result: 'done', phase: 'failed-over', message: 'ok', timeline: [] };
    });
    const lines: WatcherLogLine[] = [];
    const notices: string[] = [];
    // WHEN
    const line = await runWatcher(config(standbyDescriptor(), lines, notices));
    // THEN
    expect(engine.failover).toHaveBeenCalledWith({ trigger: 'watcher', outage: true });
    expect(line).toMatchObject({ level: 'info', action: 'failover', outcome: { result: 'done', phase: 'failed-over' }, events: ['1970-01-01T00:00:00.000Z [eu-central-1] dns-moved: switch set'] });
    expect(notices).toHaveLength(1);
  });

  it('without a notifier of its own, notifies through the topic\'s notifier the handler keeps (its quiet period spans ticks)', async () => {
    // GIVEN a decision to fail over that the engine refuses, tick after tick
    const fake = fakeDr();
    dr.current = fake;
    decision.next = { action: 'failover', reason: '3 failed probes' };
    engine.failover.mockImplementation(async () => ({ kind: 'failover', result: 'refused', phase: 'normal', message: 'version skew', timeline: [] }));
    const notices: string[] = [];
    const topics: string[] = [];
    const quiet = new QuietNotifier({ notify: async (s) => void notices.push(s) }, () => 5_000_000);
    const { notifier: _none, ...rest } = config(standbyDescriptor(), [], []);
    const cfg: WatcherConfig = { ...rest, notifierFor: (topic) => (topics.push(topic), quiet) };
    // WHEN two ticks run
    await runWatcher(cfg);
    await runWatcher(cfg);
    // THEN the descriptor's topic was asked for, and the refusal was told once
    expect(topics).toEqual([standbyDescriptor().topicArn, standbyDescriptor().topicArn]);
    expect(notices).toEqual([expect.stringMatching(/failover to eu-central-1 refused/)]);
  });

  it('fails closed: an error is logged and notified, nothing moves, the descriptor is read afresh next tick', async () => {
    // GIVEN the switch alarm cannot be read
    const fake = fakeDr();
    dr.current = fake;
    decision.next = { action: 'failover', reason: 'would fail over' };
    fake.ports.dnsSwitch.state = async () => Promise.reject(new Error('alarm missing'));
    const lines: WatcherLogLine[] = [];
    const notices: string[] = [];
    const cfg = config(standbyDescriptor(), lines, notices);
    // WHEN
    const line = await runWatcher(cfg);
    // THEN
    expect(line).toMatchObject({ level: 'error', action: 'error', reason: expect.stringMatching(/watcher tick failed.*alarm missing/) });
    expect(engine.failover).not.toHaveBeenCalled();
    expect(fake.switchWrites).toEqual([]);
    expect(notices).toEqual([expect.stringMatching(/^web: DR watcher failed \| /)]);
    expect((cfg.descriptors as FixedDescriptors).forgotten).toBe(1);
  });

  it('refuses a descriptor parameter that is not the service\'s, naming both and the fix', async () => {
    // GIVEN
    dr.current = fakeDr();
    const lines: WatcherLogLine[] = [];
    // WHEN
    const line = await runWatcher(config(standbyDescriptor(), lines, []), '/bluegreen/other/descriptor');
    // THEN
    expect(line.reason).toMatch(/DESCRIPTOR_PARAMETER is '\/bluegreen\/other\/descriptor', but the descriptor of web is \/bluegreen\/web\/descriptor\. Redeploy/);
    expect(line.action).toBe('error');
  });

  it('logs an error when the descriptor cannot be read, with no notice (no topic known)', async () => {
    // GIVEN SSM failing, and no notifier configured
    const lines: WatcherLogLine[] = [];
    const cfg = { ...config(new Error('ParameterNotFound'), lines, []), notifier: undefined };
    // WHEN
    const line = await runWatcher(cfg);
    // THEN
    expect(line).toMatchObject({ level: 'error', action: 'error', reason: expect.stringMatching(/ParameterNotFound/) });
    expect(line.warnings).toBeUndefined();
  });
});
