/**
 * `npm run bench`: measures, against a local moto server, the AWS API calls and wall time of a rollback (from the
 * command to verified 100 % on the stable colour) and the API calls of each release step. Writes docs/BENCHMARKS.md.
 *
 * moto answers in about a millisecond on loopback, so the times here are the engine's and the SDK's own cost; add
 * real AWS latency (tens of ms per call) for production estimates.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiCallCounter, AwsClients, CountableClient, createAwsClients, createAwsPorts, DynamoReleaseStateStore, loadDescriptor } from '../lib/aws';
import { Logger, ReleaseEngine, ReleaseEvent, ReleaseEventType, ReleaseStrategy } from '../lib/release';
import { createServiceFixture } from '../test/integration/fixture';
import { startMotoServer } from '../test/integration/moto-process';

const ROLLBACK_RUNS = Number(process.env.BENCH_RUNS ?? 15);
const STEPS = [10, 25, 50, 75, 100];

interface Mark {
  readonly at: number;
  readonly calls: number;
}

/** Start and end (ms) of every SDK call, to count sequential round trips: calls that overlap count once. */
class CallTimeline {
  public readonly spans: Array<[number, number]> = [];

  attach(clients: AwsClients): void {
    const all: CountableClient[] = [clients.get(ElasticLoadBalancingV2Client), clients.get(EC2Client), clients.get(AutoScalingClient), clients.get(CloudWatchClient), clients.get(SSMClient), clients.get(DynamoDBClient)];
    for (const client of all) {
      client.middlewareStack.add(
        (next) => async (args) => {
          const start = performance.now();
          try {
            return await next(args);
          } finally {
            this.spans.push([start, performance.now()]);
          }
        },
        { step: 'initialize', name: 'benchTimeline' },
      );
    }
  }

  /** Round trips among calls that started in [from, to). */
  roundTrips(from: number, to: number): number {
    const spans = this.spans.filter(([s]) => s >= from && s < to).sort((a, b) => a[0] - b[0]);
    let trips = 0;
    let end = -Infinity;
    for (const [s, e] of spans) {
      if (s >= end) trips++;
      end = Math.max(end, e);
    }
    return trips;
  }
}

/** A logger that records when each event happened and how many API calls had been made by then. */
class MarkingLogger implements Logger {
  public readonly marks = new Map<string, Mark>();
  constructor(private readonly counter: ApiCallCounter, private readonly start: () => number) {}
  event(e: ReleaseEvent): void {
    if (!this.marks.has(e.type)) this.marks.set(e.type, { at: performance.now() - this.start(), calls: this.counter.count() });
  }
}

async function benchRollback(run: number) {
  // GIVEN a release that died at step 2 (blue 75 / green 25), recorded in the state table by a dead process
  const fx = await createServiceFixture({ service: `bench-rb-${run}` });
  await fx.setWeights('production', { blue: 75, green: 25 });
  const now = Date.now();
  await new DynamoReleaseStateStore(fx.clients.get(DynamoDBClient), fx.descriptor.releaseStateTable, fx.service).write(
    { releaseId: `r-${run}`, service: fx.service, status: 'in-progress', stable: 'blue', candidate: 'green', steps: [10, 25, 50, 100], bakeMs: 60_000, stepIndex: 1, owner: 'dead:1', startedAt: now - 120_000, updatedAt: now - 90_000 },
    undefined,
  );
  // WHEN a fresh process rolls back: descriptor load + engine rollback, as `bluegreen rollback` does
  const counter = new ApiCallCounter();
  const clients = createAwsClients({ counter });
  const timeline = new CallTimeline();
  timeline.attach(clients);
  let t0 = 0;
  const logger = new MarkingLogger(counter, () => t0);
  t0 = performance.now();
  const descriptor = await loadDescriptor(fx.service, clients);
  const afterDescriptor = { at: performance.now() - t0, calls: counter.count() };
  const engineStart = performance.now();
  const engine = new ReleaseEngine(createAwsPorts(descriptor, clients, logger), { service: fx.service, owner: 'bench' });
  const outcome = await engine.rollback({ reason: 'bench' });
  const total = { at: performance.now() - t0, calls: counter.count() };
  const verified = logger.marks.get(ReleaseEventType.WEIGHTS_VERIFIED) ?? logger.marks.get(ReleaseEventType.ROLLED_BACK);
  const weights = await fx.weights('production');
  if (outcome.exitCode !== 0 || weights.blue !== 100 || !verified) {
    throw new Error(`rollback run ${run} did not end at 100 % blue: ${outcome.message} ${JSON.stringify(weights)}`);
  }
  return {
    engineRoundTripsToVerified: timeline.roundTrips(engineStart, t0 + verified.at),
    engineCallsToVerified: verified.calls - afterDescriptor.calls,
    callsToVerified: verified.calls,
    msToVerified: verified.at,
    totalCalls: total.calls,
    totalMs: total.at,
    byOperation: counter.snapshot().map((c) => `${c.service}:${c.operation}×${c.calls}`),
  };
}

async function benchReleaseSteps() {
  const fx = await createServiceFixture({ service: 'bench-release' });
  const counter = new ApiCallCounter();
  const clients = createAwsClients({ counter });
  const descriptor = await loadDescriptor(fx.service, clients);
  const perStep: Array<{ step: number; calls: number; polls: number }> = [];
  let stepStart = counter.count();
  let polls = 0;
  const logger: Logger = {
    event: (e) => {
      if (e.type === ReleaseEventType.STEP_STARTED) {
        stepStart = counter.count();
        polls = 0;
      }
      if (e.type === ReleaseEventType.GATE_PASSED) polls++;
      if (e.type === ReleaseEventType.STEP_COMPLETED && e.step) perStep.push({ step: e.step, calls: counter.count() - stepStart, polls });
    },
  };
  const engine = new ReleaseEngine(createAwsPorts(descriptor, clients, logger), { service: fx.service, owner: 'bench', pollIntervalMs: 100 });
  const before = counter.count();
  const outcome = await engine.release({ strategy: ReleaseStrategy.explicitSteps(STEPS, 300) });
  if (outcome.exitCode !== 0) throw new Error(`release failed: ${outcome.message}`);
  return { perStep, total: counter.count() - before, byOperation: counter.snapshot().map((c) => `${c.service}:${c.operation}×${c.calls}`) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(rollbacks: Awaited<ReturnType<typeof benchRollback>>[], release: Awaited<ReturnType<typeof benchReleaseSteps>>): string {
  const ms = rollbacks.map((r) => r.msToVerified);
  const engineCalls = new Set(rollbacks.map((r) => r.engineCallsToVerified));
  const engineTrips = new Set(rollbacks.map((r) => r.engineRoundTripsToVerified));
  const calls = new Set(rollbacks.map((r) => r.callsToVerified));
  const total = new Set(rollbacks.map((r) => r.totalCalls));
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} against a local moto server (loopback), ` +
      `Node ${process.version}, ${os.cpus().length} cores. moto answers in about a millisecond, so wall times are the ` +
      'engine\'s and the SDK\'s own cost: add real AWS latency (typically 20-80 ms per call) for production.',
    '',
    '## Rollback: from the command to verified 100 % on the stable colour',
    '',
    `A release died at step 2 (blue 75 / green 25). A fresh process loads the descriptor and rolls back; ${rollbacks.length} runs.`,
    '',
    '| measure | goal | result |',
    '|---|---|---|',
    `| engine API calls to verified 100 % | at most 3 | ${[...engineCalls].join(', ')} |`,
    `| of which sequential round trips (parallel calls count once) | | ${[...engineTrips].join(', ')} |`,
    `| API calls to verified 100 %, including the descriptor load | | ${[...calls].join(', ')} |`,
    `| wall time to verified 100 % (median / p95 / max) | under 2 s | ${percentile(ms, 50).toFixed(0)} / ${percentile(ms, 95).toFixed(0)} / ${Math.max(...ms).toFixed(0)} ms |`,
    `| API calls of the whole command (then re-points the test route, records the state) | | ${[...total].join(', ')} |`,
    '',
    `Calls of one run: ${rollbacks[0].byOperation.join(', ')}.`,
    '',
    'The goal of 3 calls predates the rule that a rollback must never send traffic to a colour with no healthy ' +
      'target (an ALB fails open to it). The engine reads the record and both colours\' target health in parallel ' +
      '(the stable colour is known only from the record), then sets the weights and reads them back: 5 calls in 3 ' +
      'round trips, so the wall time is that of 3 sequential calls. Skipping the health read would meet 3 calls and ' +
      'could roll back onto an empty colour.',
    '',
    '## Release: API calls per step',
    '',
    `Steps ${STEPS.join('/')}, bake 300 ms, gate poll every 100 ms.`,
    '',
    '| step | API calls | gate polls |',
    '|---|---|---|',
    ...release.perStep.map((s) => `| ${s.step} | ${s.calls} | ${s.polls} |`),
    '',
    `Whole release including pre-flight and promotion: ${release.total} calls (${release.byOperation.join(', ')}).`,
    '',
    'Each step costs a fixed part (set the weights, read them back, record the state) plus a gate poll (target ' +
      'health and alarms, two calls) per poll interval. The number of polls that fit in a bake depends on the wall ' +
      'clock, so per-step counts vary by a poll or two between runs. A 300 ms bake writes no heartbeat; a real one ' +
      'writes the release record (one PutItem) every 15-20 s while it bakes. With the default 10 s poll a 5-minute ' +
      'bake costs about 30 polls (60 calls) and 15 heartbeats per step.',
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench            # BENCH_RUNS=50 npm run bench for more rollback runs',
    '```',
    '',
    'It needs Python 3 with `moto[server]` 5.2 (`pip install \'moto[server]==5.2.*\'`; the machine image has it). The',
    'benchmark starts `python3 -m moto.server` on a free loopback port, builds a service fixture per run with the',
    'AWS SDK, and uses the same adapters as the CLI with an API-call counter on every client.',
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const server = await startMotoServer();
  Object.assign(process.env, server.env);
  try {
    const rollbacks = [];
    for (let i = 0; i < ROLLBACK_RUNS; i++) rollbacks.push(await benchRollback(i));
    const release = await benchReleaseSteps();
    const text = report(rollbacks, release);
    fs.writeFileSync(path.join(__dirname, '..', 'docs', 'BENCHMARKS.md'), text);
    process.stdout.write(text);
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
