/**
 * The release engine, its AWS adapters and the CLI's rollback under injected faults, against a real moto server:
 * the server frozen (SIGSTOP) mid-bake and mid-rollback and resumed (SIGCONT), an endpoint restart (every connection
 * reset, refused for a while, back with its state: through a TCP proxy, since moto loses its state when its process
 * restarts), and refused connections. Each asserts bounded time, a line per retry, no bake credit for the time the
 * gate went unread, and the engine's invariants (never both colours at 0; a rollback ends at 100 % on the stable
 * colour, verified).
 *
 * Short polls, bakes and timeouts keep these fast; the bounds asserted leave room for a loaded 2-core machine.
 */
import * as os from 'os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, AwsRetryNotice, createAwsClients, createAwsPorts, DynamoReleaseStateStore, retryMessage } from '../../lib/aws';
import { main } from '../../lib/cli';
import { ReleaseEngine, ReleaseEvent, ReleaseEventType, ReleasePorts, ReleaseState, ReleaseStrategy, Weights } from '../../lib/release';
import { FaultProxy, startFaultProxy } from './fault-proxy';
import { createServiceFixture, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

const moto = useMotoServer();
let proxy: FaultProxy;

/** Gate polls every 300 ms; a step bakes 2 s (its lease: the 60 s floor). */
const POLL_MS = 300;
const BAKE_MS = 2_000;
/** How long the server stays frozen or down. */
const OUTAGE_MS = 2_500;

beforeAll(async () => {
  await createServiceFixture({ service: 'faults-warmup' });
  proxy = await startFaultProxy(moto().port);
});

afterAll(async () => {
  process.kill(moto().pid, 'SIGCONT');
  await proxy?.close();
});

/** Clients through the proxy: 300 ms to connect, 1 s to answer, 3 attempts. The retries they report. */
function faultClients(): { clients: AwsClients; retries: AwsRetryNotice[] } {
  const clients = createAwsClients({ endpoint: proxy.endpoint, connectionTimeoutMs: 300, requestTimeoutMs: 1_000, maxAttempts: 3 });
  const retries: AwsRetryNotice[] = [];
  clients.onRetry((n) => retries.push(n));
  return { clients, retries };
}

const freeze = () => process.kill(moto().pid, 'SIGSTOP');
const thaw = () => process.kill(moto().pid, 'SIGCONT');

/** Every weight change the engine makes must add up to 100 and never leave both colours at 0. */
function checkedPorts(ports: ReleasePorts, sets: Weights[]): ReleasePorts {
  return {
    ...ports,
    traffic: {
      ...ports.traffic,
      getWeights: () => ports.traffic.getWeights(),
      getTestTarget: () => ports.traffic.getTestTarget(),
      setTestTarget: (c) => ports.traffic.setTestTarget(c),
      setWeights: async (w) => {
        sets.push(w);
        return ports.traffic.setWeights(w);
      },
    },
  };
}

function expectInvariants(sets: Weights[]): void {
  for (const w of sets) {
    expect(w.blue + w.green).toBe(100);
    expect(w.blue === 0 && w.green === 0).toBe(false);
  }
}

/** What a pipeline that died at step 1 of 50,100 leaves: 50/50 and its record, held by a runner on another host. */
async function interruptedRelease(f: ServiceFixture): Promise<ReleaseState> {
  await f.setWeights('production', { blue: 50, green: 50 });
  const now = Date.now();
  const state: ReleaseState = {
    releaseId: `${f.service}-r1`,
    service: f.service,
    status: 'in-progress',
    stable: 'blue',
    candidate: 'green',
    steps: [50, 100],
    bakeMs: 60_000,
    stepIndex: 0,
    owner: 'ci-runner-9:4242',
    ownerProcess: { host: 'ci-runner-9', pid: 4242, startedAt: now - 60_000 },
    startedAt: now - 30_000,
    updatedAt: now - 5_000,
  };
  await DynamoReleaseStateStore.fromClients(f.clients, f.descriptor.releaseStateTable, f.service).write(state, undefined);
  return state;
}

async function recordOf(f: ServiceFixture): Promise<ReleaseState | undefined> {
  return (await DynamoReleaseStateStore.fromClients(f.clients, f.descriptor.releaseStateTable, f.service).read())?.state;
}

const RETRY_LINE = /^AWS not answering: (ssm|elbv2|cloudwatch|dynamodb|autoscaling) [A-Z]\w+, retry [12] of 2 \((no answer within 1s|no connection within 0.3s|connection refused|connection reset|connection closed)\)$/;

describe('a release whose AWS endpoint stops answering mid-bake', () => {
  it.each([
    ['frozen (SIGSTOP, then SIGCONT)', 'freeze'],
    ['restarted (connections reset, refused, then back)', 'restart'],
  ] as const)('%s: retries on lines of their own, no bake credit for the outage, the step bakes again in full, then promotes', async (_name, fault) => {
    // GIVEN a release of 50 %, 100 % baking 2 s each, polling every 300 ms
    const f = await createServiceFixture({ service: `fault-bake-${fault}` });
    const { clients, retries } = faultClients();
    const events: ReleaseEvent[] = [];
    const sets: Weights[] = [];
    let outage: { from: number; to?: number } | undefined;
    let ended: Promise<void> | undefined;
    const logger = {
      event: (e: ReleaseEvent) => {
        events.push(e);
        // WHEN step 1 has baked 600 ms, the endpoint goes away for 2.5 s
        if (!outage && e.type === ReleaseEventType.GATE_PASSED && e.step === 1 && (e.bakedMs ?? 0) >= 600) {
          outage = { from: Date.now() };
          if (fault === 'freeze') {
            freeze();
            ended = new Promise((r) => setTimeout(r, OUTAGE_MS)).then(() => {
              outage!.to = Date.now();
              thaw();
            });
          } else {
            ended = proxy.restart(OUTAGE_MS).then(() => {
              outage!.to = Date.now();
            });
          }
        }
      },
    };
    const ports = checkedPorts(createAwsPorts(f.descriptor, clients, logger), sets);
    const engine = new ReleaseEngine(ports, { service: f.service, owner: `${os.hostname()}:test`, pollIntervalMs: POLL_MS });
    const started = Date.now();
    try {
      const outcome = await engine.release({ strategy: ReleaseStrategy.explicitSteps([50, 100], BAKE_MS) });
      await ended;
      const took = Date.now() - started;

      // THEN it promoted, in bounded time
      expect(outcome.status).toBe('succeeded');
      expect(await f.weights()).toEqual({ blue: 0, green: 100 });
      expect(took).toBeLessThan(OUTAGE_MS + 2 * BAKE_MS + 15_000);
      const { from, to } = outage!;
      expect(to).toBeDefined();
      // AND every retry was reported, as the CLI prints it
      expect(retries.length).toBeGreaterThan(0);
      for (const r of retries) expect(retryMessage(r)).toMatch(RETRY_LINE);
      // AND no gate reading passed during the outage, and none after it counts time from before its end
      const passed = events.filter((e) => e.type === ReleaseEventType.GATE_PASSED && e.step === 1);
      expect(passed.filter((e) => e.at > from + 50 && e.at < to!)).toEqual([]);
      for (const e of passed.filter((p) => p.at >= to!)) expect(e.bakedMs!).toBeLessThanOrEqual(e.at - to! + 50);
      // AND the step started its bake again after the outage, and baked 2 s of readings after it
      const restarted = events.filter((e) => e.type === ReleaseEventType.BAKE_RESTARTED && e.step === 1);
      expect(restarted.length).toBeGreaterThan(0);
      expect(restarted.some((e) => e.at >= to! - 50)).toBe(true);
      const completed = events.find((e) => e.type === ReleaseEventType.STEP_COMPLETED && e.step === 1);
      expect(completed!.at - to!).toBeGreaterThanOrEqual(BAKE_MS - 50);
      expectInvariants(sets);
      expect(sets).toEqual([
        { blue: 50, green: 50 },
        { blue: 0, green: 100 },
      ]);
    } finally {
      thaw();
      await ended;
      clients.destroy();
    }
  });
});

describe('bluegreen rollback while AWS does not answer', () => {
  /** Run the CLI in-process with `clients`; each output line with the ms since the start. */
  async function cli(argv: string[], clients: AwsClients) {
    const lines: Array<{ at: number; stream: 'out' | 'err'; text: string }> = [];
    const start = Date.now();
    const sink = (stream: 'out' | 'err') => ({
      write: (t: string) => {
        for (const text of t.split('\n').filter((l) => l !== '')) lines.push({ at: Date.now() - start, stream, text });
        return true;
      },
    });
    const code = await main(argv, { stdout: sink('out'), stderr: sink('err'), isTTY: false, env: {}, cwd: os.tmpdir(), clients });
    return { code, lines, took: Date.now() - start, out: lines.filter((l) => l.stream === 'out').map((l) => l.text.replace(/^\d\d:\d\d:\d\dZ /, '')) };
  }

  it('frozen mid-rollback: says so within a second, prints each retry, and rolls back once the server answers', async () => {
    // GIVEN a release a dead pipeline left at 50 %
    const f = await createServiceFixture({ service: 'fault-rollback' });
    await interruptedRelease(f);
    const { clients } = faultClients();
    // WHEN the server freezes as the rollback starts, for 2.5 s
    freeze();
    const thawed = new Promise((r) => setTimeout(r, OUTAGE_MS)).then(thaw);
    try {
      const run = await cli(['rollback', f.service], clients);
      await thawed;

      // THEN the first line came at once, before any AWS call answered
      expect(run.lines[0].at).toBeLessThan(1_000);
      expect(run.out[0]).toBe('rollback fault-rollback: reading the service descriptor (finishes or gives up within 30s)');
      // AND each retry had a line of its own
      const retries = run.out.filter((l) => l.startsWith('AWS not answering'));
      expect(retries.length).toBeGreaterThan(0);
      for (const r of retries) expect(r).toMatch(RETRY_LINE);
      // AND it rolled back, naming what it took over, within its deadline
      expect(run.code).toBe(0);
      expect(run.out.join('\n')).toMatch(/Taking over release fault-rollback-r1 \(green at step 1\/2 \(50 %\)\) from ci-runner-9:4242 \(on host ci-runner-9, /);
      expect(run.out.join('\n')).toMatch(/Rolled back fault-rollback-r1: blue holds 100 % \(verified\)/);
      expect(run.took).toBeLessThan(30_000);
      expect(await f.weights()).toEqual({ blue: 100, green: 0 });
      expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
      expect(await recordOf(f)).toMatchObject({ status: 'rolled-back', ownerProcess: { host: os.hostname() } });
    } finally {
      thaw();
      clients.destroy();
    }
  });

  it.each([
    ['frozen', 'freeze'],
    ['refusing connections', 'refuse'],
  ] as const)('%s past its deadline: gives up at the deadline with what to run; once AWS is back, rollback finishes', async (_name, fault) => {
    // GIVEN
    const f = await createServiceFixture({ service: `fault-deadline-${fault}` });
    await interruptedRelease(f);
    const { clients, retries } = faultClients();
    const events: ReleaseEvent[] = [];
    const sets: Weights[] = [];
    const ports = checkedPorts(createAwsPorts(f.descriptor, clients, { event: (e) => events.push(e) }), sets);
    const engine = new ReleaseEngine(ports, { service: f.service, owner: `${os.hostname()}:test`, rollbackDeadlineMs: 3_000 });

    // WHEN the endpoint does not answer, and the rollback has 3 s (the clients stop calling AWS then too)
    if (fault === 'freeze') freeze();
    else await proxy.refuse();
    try {
      const started = Date.now();
      clients.setDeadline(started + 3_000, "the rollback's 3s deadline");
      const outcome = await engine.rollback();
      const took = Date.now() - started;

      // THEN it said so before its first call, gave up within its deadline (and a little), and says what to run
      expect(events[0].type).toBe(ReleaseEventType.ROLLBACK_REQUESTED);
      expect(took).toBeLessThan(3_000 + 1_500);
      expect(outcome.status).toBe('failed');
      expect(outcome.message).toMatch(/^Rollback not verified within its 3s deadline \(\d+ attempt\(s\); last error: .*\)\. Run rollback again: it is idempotent; bluegreen status shows the weights\.$/);
      expect(retries.length).toBeGreaterThan(0);
      for (const r of retries) expect(retryMessage(r)).toMatch(RETRY_LINE);
    } finally {
      if (fault === 'freeze') thaw();
      else await proxy.accept();
      clients.destroy();
    }
    // AND nothing was left half-done: the weights are where the release left them
    expect(await f.weights()).toEqual({ blue: 50, green: 50 });

    // WHEN rolled back again, AWS answering
    const again = faultClients();
    try {
      const outcome = await new ReleaseEngine(checkedPorts(createAwsPorts(f.descriptor, again.clients, { event: () => undefined }), sets), {
        service: f.service,
        owner: `${os.hostname()}:test`,
      }).rollback();
      // THEN
      expect(outcome).toMatchObject({ status: 'rolled-back', weights: { blue: 100, green: 0 } });
      expect(await f.weights()).toEqual({ blue: 100, green: 0 });
      expectInvariants(sets);
      expect(sets.at(-1)).toEqual({ blue: 100, green: 0 });
    } finally {
      again.clients.destroy();
    }
  });
});
