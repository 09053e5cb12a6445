/**
 * Output rendering and the dry-run ports, without AWS: the engine runs on the in-memory fakes of test/release.
 */
import { describe, expect, it } from 'vitest';
import { CliIo } from '../../lib/cli';
import { DryRunPorts } from '../../lib/cli/dry-run-ports';
import { Output } from '../../lib/cli/output';
import { stepLine } from '../../lib/cli/progress';
import { ReleaseEngine, ReleaseEventType, ReleaseStrategy } from '../../lib/release';
import { FakeWorld, T0 } from '../release/fakes';

function io(isTTY: boolean, now = T0) {
  const buf = { stdout: '', stderr: '' };
  const clock = { now: () => now, sleep: async () => undefined };
  const value: CliIo = {
    stdout: { write: (t: string) => (buf.stdout += t) },
    stderr: { write: (t: string) => (buf.stderr += t) },
    isTTY,
    env: {},
    cwd: '/',
    clock,
  };
  return { io: value, buf };
}

const step = (type: ReleaseEventType, message: string, extra = {}) => ({ type, message, at: T0, step: 2, steps: 4, ...extra });

describe('Output', () => {
  it('on a terminal rewrites one line per step, and puts other events on lines of their own', () => {
    // GIVEN
    const { io: tty, buf } = io(true);
    const out = new Output(tty, false);
    // WHEN
    out.logger.event({ type: ReleaseEventType.RELEASE_STARTED, message: 'Releasing green', at: T0 });
    out.logger.event(step(ReleaseEventType.STEP_STARTED, 'Step 2/4: green to 25 %', { weights: { blue: 75, green: 25 } }));
    out.logger.event(step(ReleaseEventType.WEIGHTS_VERIFIED, 'Verified', { weights: { blue: 75, green: 25 } }));
    out.logger.event(step(ReleaseEventType.GATE_PASSED, 'Gate passed at step 2/4 (25 %): baked 30s of 2m'));
    out.logger.event(step(ReleaseEventType.GATE_FAILED, 'Gate failed at step 2/4 (25 %): alarms firing on green: web-green-gate'));
    // THEN
    const line = '\r\x1b[2Kstep 2/4  blue 75 % [###############=====] green 25 %  ';
    expect(buf.stdout).toBe(
      '12:00:00Z Releasing green\n' +
        `${line}setting weights${line}verified${line}baked 30s of 2m, gate read 0s ago; ETA 12:05:30Z\n` +
        '12:00:00Z Gate failed at step 2/4 (25 %): alarms firing on green: web-green-gate\n',
    );
  });

  it('off a terminal prints one line per event, the result last, and a failure on stderr', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, false);
    out.logger.event(step(ReleaseEventType.STEP_STARTED, 'Step 2/4: green to 25 %', { weights: { blue: 75, green: 25 } }));
    out.warn('no release manifest');
    const code = out.result({ status: 'rolled-back', exitCode: 1, message: 'Rolled back r1.' });
    expect(code).toBe(1);
    expect(buf.stdout).toBe('12:00:00Z Step 2/4: green to 25 %\n');
    expect(buf.stderr).toBe('bluegreen: warning: no release manifest\nbluegreen: Rolled back r1.\n');
  });

  it('with --json writes only JSON lines on stdout: events with ISO times, then the result with the warnings', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, true, { command: 'release', service: 'web' });
    out.logger.event(step(ReleaseEventType.STEP_STARTED, 'Step 2/4: green to 25 %', { weights: { blue: 75, green: 25 } }));
    out.line('not in JSON mode');
    out.warn('careful');
    out.result({ status: 'succeeded', exitCode: 0, message: 'Released green.' });
    expect(buf.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { kind: 'event', type: 'step-started', message: 'Step 2/4: green to 25 %', at: '2026-01-01T12:00:00.000Z', step: 2, steps: 4, weights: { blue: 75, green: 25 } },
      { kind: 'result', command: 'release', service: 'web', status: 'succeeded', exitCode: 0, outcome: 'done', message: 'Released green.', warnings: ['careful'] },
    ]);
    expect(buf.stderr).toBe('bluegreen: warning: careful\n');
  });

  it('draws the split of the weights', () => {
    expect(stepLine(1, 2, { blue: 100, green: 0 }, 'x')).toBe('step 1/2  blue 100 % [####################] green 0 %  x');
    expect(stepLine(1, 2, undefined, 'x')).toBe('step 1/2  x');
  });
});

describe('DryRunPorts', () => {
  it('runs the real engine, records what it would write, and changes nothing', async () => {
    // GIVEN a release at step 1 of 2, driven by a process that died
    const world = new FakeWorld();
    const driver = world.process('ci');
    const engine = new ReleaseEngine(driver.ports, { service: 'web', owner: 'ci', pollIntervalMs: 10_000 });
    world.at(T0 + 30_000, async () => {
      driver.dead = true;
    });
    await engine.release({ strategy: ReleaseStrategy.explicitSteps([50, 100], 60_000) }).catch(() => undefined);
    const stored = structuredClone(world.stored);
    const weights = { ...world.weights };
    expect(weights).toEqual({ blue: 50, green: 50 });

    // WHEN an operator dry-runs a rollback
    const dry = new DryRunPorts(world.process('op').ports, { desired: 3 }, { event: () => undefined });
    const outcome = await new ReleaseEngine(dry.ports, { service: 'web', owner: 'op' }).rollback();

    // THEN
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(dry.actions).toEqual([
      'set the production weights to blue 100 % / green 0 % (ModifyRule), then read them back',
      'point the test route at green (ModifyRule)',
      `record release ${stored?.state.releaseId} as rolled-back at step 1/2 (PutItem)`,
    ]);
    expect(world.weights).toEqual(weights);
    expect(world.stored).toEqual(stored);
    expect(world.calls.filter((c) => c.proc === 'op' && c.mutating)).toEqual([]);
  });

  it('simulates time, so a dry-run resume bakes without waiting', async () => {
    const world = new FakeWorld();
    world.stored = {
      version: 1,
      state: { releaseId: 'r1', service: 'web', status: 'in-progress', stable: 'blue', candidate: 'green', steps: [50, 100], bakeMs: 3_600_000, stepIndex: 0, owner: 'gone', startedAt: T0 - 7_200_000, updatedAt: T0 - 7_200_000 },
    };
    world.weights = { blue: 50, green: 50 };
    const dry = new DryRunPorts(world.process('op').ports, { desired: 3 }, { event: () => undefined });
    const outcome = await new ReleaseEngine(dry.ports, { service: 'web', owner: 'op' }).resume();
    expect(outcome.status).toBe('succeeded');
    expect(dry.actions.filter((a) => a.startsWith('set the production'))).toEqual([
      'set the production weights to blue 50 % / green 50 % (ModifyRule), then read them back',
      'set the production weights to blue 0 % / green 100 % (ModifyRule), then read them back',
    ]);
    expect(world.now).toBe(T0);
    expect(world.weights).toEqual({ blue: 50, green: 50 });
  });
});
