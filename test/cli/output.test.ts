/**
 * Output rendering and the dry-run ports, without AWS: the engine runs on the in-memory fakes of test/release.
 */
import { describe, expect, it } from 'vitest';
import { CliIo } from '../../lib/cli';
import { DryRunPorts } from '../../lib/cli/dry-run-ports';
import { Output } from '../../lib/cli/output';
import { humanDuration, tidyDurations } from '../../lib/cli/durations';
import { exitCodeForOutcome } from '../../lib/cli/exit-codes';
import { ProgressLogger, stepLine } from '../../lib/cli/progress';
import { ReleaseEngine, ReleaseEvent, ReleaseEventType, ReleaseInProgressError, ReleaseOutcome, ReleaseStrategy } from '../../lib/release';
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

describe('the progress line on a terminal', () => {
  it('is redrawn between events: the age of the last gate read grows, the ETA stays', () => {
    // GIVEN a gate poll at T0
    let now = T0;
    const buf = { text: '' };
    const logger = new ProgressLogger({ write: (t: string) => (buf.text += t) }, { now: () => now, tick: false });
    logger.event(step(ReleaseEventType.STEP_STARTED, 'Step 2/4: green to 25 %', { weights: { blue: 75, green: 25 } }));
    logger.event(step(ReleaseEventType.GATE_PASSED, 'Gate passed at step 2/4 (25 %): baked 30s of 2m'));
    buf.text = '';
    // WHEN three seconds pass without an event (AWS is slow to answer)
    now = T0 + 3_400;
    logger.tick();
    // THEN
    expect(buf.text).toBe('\r\x1b[2Kstep 2/4  blue 75 % [###############=====] green 25 %  baked 30s of 2m, gate read 3s ago; ETA 12:05:30Z');
  });

  it('prints an event it does not know (an AWS retry notice) on a line of its own, and carries on below it', () => {
    const { io: tty, buf } = io(true);
    const out = new Output(tty, false);
    out.logger.event(step(ReleaseEventType.GATE_PASSED, 'Gate passed at step 2/4 (25 %): baked 30s of 2m', { weights: { blue: 75, green: 25 } }));
    buf.stdout = '';
    out.logger.event({ type: 'aws-retry', message: 'AWS not answering: elbv2 DescribeTargetHealth, retry 2 of 5', at: T0 });
    expect(buf.stdout).toBe(
      '\r\x1b[2K12:00:00Z AWS not answering: elbv2 DescribeTargetHealth, retry 2 of 5\n' +
        '\r\x1b[2Kstep 2/4  blue 75 % [###############=====] green 25 %  baked 30s of 2m, gate read 0s ago; ETA 12:05:30Z',
    );
  });

  it('says how long the release takes and when it ends, at its start', () => {
    const { io: tty, buf } = io(false);
    const out = new Output(tty, false, { command: 'release', service: 'web' });
    out.expectRelease(5, 300_000);
    out.logger.event({ type: ReleaseEventType.RELEASE_STARTED, message: 'Releasing green (r1): steps 10, 25, 50, 75, 100 %, bake 5m per step', at: T0 });
    expect(buf.stdout).toBe(
      '12:00:00Z Releasing green (r1): steps 10, 25, 50, 75, 100 %, bake 5m per step\n' +
        '12:00:00Z Takes about 25m (5 steps, each baking 5m); ETA 12:25:00Z. Follow it from elsewhere: bluegreen status web --watch\n',
    );
    const { io: pipe, buf: jbuf } = io(false);
    const json = new Output(pipe, true, { command: 'release', service: 'web' });
    json.expectRelease(5, 300_000);
    json.logger.event({ type: ReleaseEventType.RELEASE_STARTED, message: 'Releasing green (r1)', at: T0 });
    expect(JSON.parse(jbuf.stdout)).toMatchObject({ type: 'release-started', expectedDurationMs: 1_500_000, eta: '2026-01-01T12:25:00.000Z' });
  });

  it('numbers a promotion that takes over a release as the last step of its plan', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, true);
    out.logger.event({ type: ReleaseEventType.PROMOTION_STARTED, message: 'Promoting green from step 1/3 (10 %) (blue 90 % / green 10 %)', at: T0 });
    out.logger.event({ type: ReleaseEventType.STEP_STARTED, message: 'Step 2/2: green to 100 %', at: T0, step: 2, steps: 2, weights: { blue: 0, green: 100 } });
    const lines = buf.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toMatchObject({ message: 'Step 3/3: green to 100 %', step: 3, steps: 3 });
  });
});

describe('results', () => {
  it('are printed once on a terminal, even when the last event said the same; off a terminal a failure is repeated on stderr', () => {
    const message = 'web has no release in progress (last: r1, succeeded): nothing to promote.';
    for (const isTTY of [true, false]) {
      const { io: term, buf } = io(isTTY);
      const out = new Output(term, false, { command: 'promote', service: 'web' });
      out.logger.event({ type: ReleaseEventType.REFUSED, message, at: T0 });
      expect(out.result({ status: 'refused', exitCode: 3, message, next: ['bluegreen promote web --colour <blue|green>'] })).toBe(3);
      expect(out.result({ status: 'refused', exitCode: 3, message: 'again' })).toBe(3);
      const shown = (buf.stdout + buf.stderr).split(message).length - 1;
      expect({ isTTY, shown }).toEqual({ isTTY, shown: isTTY ? 1 : 2 });
      expect(buf.stderr).toContain('Next: bluegreen promote web --colour <blue|green>\n');
      expect(buf.stderr).not.toContain('again');
    }
  });

  it('round durations to whole seconds', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, false);
    out.result({ status: 'refused', exitCode: 3, message: 'heartbeat 24s58ms ago; took 14m32s929ms; poll 500ms' });
    expect(buf.stderr).toBe('bluegreen: heartbeat 24s ago; took 14m33s; poll 500ms\n');
    expect(tidyDurations('1h0m59s999ms, 999ms, 5m')).toBe('1h1m, 999ms, 5m');
    expect(humanDuration(872_929)).toBe('14m33s');
    expect(humanDuration(250)).toBe('250ms');
  });
});

describe('a signal', () => {
  const events = (out: Output) => {
    out.logger.event({ type: ReleaseEventType.RELEASE_STARTED, message: 'Releasing green (20260101T120000Z-ab12): steps 10, 50, 100 %', at: T0, weights: { blue: 100, green: 0 }, steps: 3 });
    out.logger.event({ type: ReleaseEventType.STEP_STARTED, message: 'Step 1/3: green to 10 %', at: T0, step: 1, steps: 3, weights: { blue: 90, green: 10 } });
    out.logger.event({ type: ReleaseEventType.WEIGHTS_VERIFIED, message: 'Verified', at: T0, step: 1, steps: 3, weights: { blue: 90, green: 10 } });
  };

  it('during a release prints where it stands and what to run next, with the service: exit 4, paused', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, true, { command: 'release', service: 'web' });
    events(out);
    buf.stdout = '';
    expect(out.interrupt('SIGTERM')).toBe(4);
    expect(JSON.parse(buf.stdout)).toEqual({
      kind: 'result',
      command: 'release',
      service: 'web',
      status: 'interrupted',
      exitCode: 4,
      outcome: 'paused',
      signal: 'SIGTERM',
      message:
        'Interrupted (SIGTERM): release 20260101T120000Z-ab12 stays in progress at step 1/3 (blue 90 % / green 10 %, verified); ' +
        'its traffic stays there until someone resumes it, or rolls it back (100 % back to blue).',
      next: ['bluegreen resume web', 'bluegreen rollback web'],
      releaseId: '20260101T120000Z-ab12',
      step: 1,
      steps: 3,
      weights: { blue: 90, green: 10 },
      warnings: [],
    });
    // AND nothing more is printed after the result
    out.logger.event({ type: ReleaseEventType.GATE_PASSED, message: 'late', at: T0, step: 1, steps: 3 });
    expect(out.result({ status: 'succeeded', exitCode: 0, message: 'late' })).toBe(4);
    expect(buf.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('before anything changed exits 128 + the signal; during a rollback says to run it again', () => {
    const early = io(false);
    const before = new Output(early.io, false, { command: 'release', service: 'web' });
    expect(before.interrupt('SIGINT')).toBe(130);
    expect(early.buf.stderr).toBe('bluegreen: Interrupted (SIGINT) before anything changed.\nNext: bluegreen status web, or bluegreen release web\n');

    const mid = io(false);
    const rolling = new Output(mid.io, false, { command: 'rollback', service: 'web' });
    rolling.logger.event({ type: ReleaseEventType.ROLLBACK_STARTED, message: 'Rolling back 20260101T120000Z-ab12 to blue: why', at: T0, weights: { blue: 100, green: 0 } });
    expect(rolling.interrupt('SIGTERM')).toBe(4);
    expect(mid.buf.stderr).toBe(
      'bluegreen: Interrupted (SIGTERM) while rolling back 20260101T120000Z-ab12 to blue: the rollback may not be verified yet. Run it again (it is safe to repeat).\n' +
        'Next: bluegreen rollback web\n',
    );
  });
});

describe('exit codes', () => {
  const state = { releaseId: 'r1', service: 'web', stable: 'blue', candidate: 'green', steps: [100], bakeMs: 0, stepIndex: 0, owner: 'x', startedAt: 0, updatedAt: 0 } as const;
  it.each([
    [{ status: 'succeeded', exitCode: 0 }, 0],
    [{ status: 'rolled-back', exitCode: 0 }, 0],
    [{ status: 'rolled-back', exitCode: 1 }, 1],
    [{ status: 'aborted', exitCode: 0 }, 0],
    [{ status: 'refused', exitCode: 1 }, 3],
    [{ status: 'preempted', exitCode: 1, state: { ...state, status: 'in-progress' } }, 4],
    [{ status: 'preempted', exitCode: 1, state: { ...state, status: 'aborted' } }, 1],
    [{ status: 'preempted', exitCode: 0, state: { ...state, status: 'succeeded' } }, 0],
    [{ status: 'failed', exitCode: 1 }, 6],
    [{ status: 'noop', exitCode: 0 }, 0],
    [{ status: 'not-due', exitCode: 0 }, 0],
  ] as const)('%j exits %i', (o, code) => {
    expect(exitCodeForOutcome({ message: '', ...o } as ReleaseOutcome)).toBe(code);
  });
});

describe('an error part way through a change', () => {
  it('says what to run to finish it, with the service name', () => {
    const { io: pipe, buf } = io(false);
    const out = new Output(pipe, false, { command: 'rollback', service: 'web' });
    out.logger.event({ type: ReleaseEventType.ROLLBACK_STARTED, message: 'Rolling back 20260101T120000Z-ab12 to blue: why', at: T0, weights: { blue: 100, green: 0 } });
    const e = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED', address: '10.0.0.1', port: 443, $metadata: { attempts: 5 } });
    expect(out.error(e)).toBe(5);
    expect(buf.stderr).toBe(
      'bluegreen: Cannot reach AWS: 10.0.0.1:443 refused the connection (ECONNREFUSED) for an AWS call after 5 attempts. Fix: check your network, VPN or proxy (HTTPS_PROXY), then run the command again.\n' +
        'Next: bluegreen status web, or bluegreen rollback web\n',
    );
  });
});

describe('engine details the CLI reads when the engine gives them', () => {
  it('takes the bake from the event fields, and offers the take-over the engine names', () => {
    let now = T0;
    const buf = { text: '' };
    const logger = new ProgressLogger({ write: (t: string) => (buf.text += t) }, { now: () => now, tick: false });
    logger.event({ ...step(ReleaseEventType.GATE_PASSED, 'Gate passed'), bakedMs: 60_000, bakeMs: 120_000 } as ReleaseEvent);
    now += 2_000;
    logger.tick();
    expect(buf.text.split('\r\x1b[2K').at(-1)).toBe('step 2/4  baked 1m of 2m, gate read 2s ago; ETA 12:05:00Z');

    const { io: pipe, buf: out } = io(false);
    const state = { releaseId: 'r1', service: 'web', status: 'in-progress', stable: 'blue', candidate: 'green', steps: [50, 100], bakeMs: 60_000, stepIndex: 0, owner: 'ci-9:4242', startedAt: Date.now(), updatedAt: Date.now() } as const;
    const e = new ReleaseInProgressError('web release r1 is in progress, driven by ci-9:4242. Wait for it, stop it with abort, or take it over now with resume --take-over.', state);
    expect(new Output(pipe, false, { command: 'resume', service: 'web' }).error(e)).toBe(3);
    expect(out.stderr).toMatch(/\nNext: bluegreen wait web, or bluegreen status web --watch, or bluegreen abort web, or bluegreen resume web --take-over\n$/);
  });
});
