/**
 * Release hooks at their points, with fake ports: verdicts (pass, fail, inconclusive, throw, timeout, retries),
 * what each point does with them, on-rollback after every rollback path, and a crash during each hook.
 */
import { describe, expect, it } from 'vitest';
import { HookPointName } from '../../lib/contract';
import { ReleaseEventType, ReleaseStrategy } from '../../lib/release';
import { CrashWhen, dies, engineFor, fakeHook, FakeProcess, FakeWorld, SERVING, T0 } from './fakes';

const MINUTE = 60_000;
const threeSteps = ReleaseStrategy.explicitSteps([10, 50, 100], MINUTE);
const BLUE = { blue: 100, green: 0 };
const GREEN = { blue: 0, green: 100 };

/** One hook per point, and a contract hook. */
function everyPoint() {
  return [
    fakeHook('migrate', 'pre-release'),
    fakeHook('analysis', 'step', { kind: 'webhook' }),
    fakeHook('smoke', 'pre-promotion'),
    fakeHook('verify', 'post-promotion'),
    fakeHook('undo', 'on-rollback'),
    fakeHook('drop-column', 'post-promotion', { contract: true }),
  ];
}

function worldWith(hooks = everyPoint()): FakeWorld {
  const w = new FakeWorld();
  w.releaseHooks = hooks;
  w.hookImages = { blue: 'ami-old', green: 'ami-new' };
  return w;
}

function runOf(w: FakeWorld, key: string) {
  return w.stored?.state.hooks?.find((r) => r.key === key);
}

function hookEvents(proc: FakeProcess): string[] {
  return proc.events.filter((e) => e.type.startsWith('hook-') || e.type === 'awaiting-approval' || e.type === 'approved').map((e) => `${e.type}: ${e.message}`);
}

describe('hooks at every point', () => {
  it('run once each, in release order, with the event the contract describes, recorded in the release record', async () => {
    // GIVEN one hook per point
    const w = worldWith();
    const proc = w.process('cli');

    // WHEN
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });

    // THEN the release succeeded and every hook ran once, at its point
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(w.hookCalls.map((c) => c.key)).toEqual([
      'r1:migrate:pre-release',
      'r1:analysis:step:1',
      'r1:analysis:step:2',
      'r1:smoke:pre-promotion',
      'r1:analysis:step:3',
      'r1:verify:post-promotion',
    ]);
    // AND each got the weights of its moment, the colours, the images and its idempotency key
    const [pre, step1, , smoke, step3, post] = w.hookCalls.map((c) => c.event);
    expect(pre).toEqual({
      service: 'web',
      releaseId: 'r1',
      point: 'pre-release',
      hook: 'migrate',
      idempotencyKey: 'r1:migrate:pre-release',
      attempt: 1,
      steps: 3,
      weights: BLUE,
      colours: { stable: 'blue', candidate: 'green' },
      images: { stable: 'ami-old', candidate: 'ami-new' },
      contract: false,
    });
    expect(step1).toMatchObject({ point: 'step', step: 1, steps: 3, weights: { blue: 90, green: 10 }, idempotencyKey: 'r1:analysis:step:1' });
    expect(smoke).toMatchObject({ point: 'pre-promotion', weights: { blue: 50, green: 50 } });
    expect(smoke.step).toBeUndefined();
    expect(step3).toMatchObject({ step: 3, weights: GREEN });
    expect(post).toMatchObject({ point: 'post-promotion', weights: GREEN });
    // AND the pre-release hook ran before any weight moved, the pre-promotion hook before the step to 100 %
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, { blue: 50, green: 50 }, GREEN]);
    // AND the record keeps every run with its verdict, and the contract hook deferred
    const runs = w.stored?.state.hooks ?? [];
    expect(runs.map((r) => [r.key, r.status, r.attempts])).toEqual([
      ['r1:drop-column:post-promotion', 'deferred', 0],
      ['r1:migrate:pre-release', 'passed', 1],
      ['r1:analysis:step:1', 'passed', 1],
      ['r1:analysis:step:2', 'passed', 1],
      ['r1:smoke:pre-promotion', 'passed', 1],
      ['r1:analysis:step:3', 'passed', 1],
      ['r1:verify:post-promotion', 'passed', 1],
    ]);
    expect(runs[2]).toMatchObject({ hook: 'analysis', point: 'step', kind: 'webhook', step: 1, startedAt: T0 + MINUTE, endedAt: T0 + MINUTE });
    expect(runs[0].detail).toContain('`bluegreen contract web` runs it once blue (the old colour) is in standby');
    expect(runs[0].detail).toContain(`scale-down is due at ${new Date(T0 + 3 * MINUTE + 15 * MINUTE).toISOString()}`);
    expect(w.callsOf('drop-column')).toEqual([]);
    // AND events for the CLI's progress, with the hook's name, point and step
    expect(hookEvents(proc)).toEqual([
      expect.stringMatching(/^hook-deferred: Contract hook drop-column deferred: contract migration, never run during a release/),
      'hook-started: Running pre-release hook migrate (lambda, key r1:migrate:pre-release)',
      'hook-passed: Pre-release hook migrate passed',
      'hook-started: Running step 1/3 hook analysis (webhook, key r1:analysis:step:1)',
      'hook-passed: Step 1/3 hook analysis passed',
      'hook-started: Running step 2/3 hook analysis (webhook, key r1:analysis:step:2)',
      'hook-passed: Step 2/3 hook analysis passed',
      'hook-started: Running pre-promotion hook smoke (lambda, key r1:smoke:pre-promotion)',
      'hook-passed: Pre-promotion hook smoke passed',
      'hook-started: Running step 3/3 hook analysis (webhook, key r1:analysis:step:3)',
      'hook-passed: Step 3/3 hook analysis passed',
      'hook-started: Running post-promotion hook verify (lambda, key r1:verify:post-promotion)',
      'hook-passed: Post-promotion hook verify passed',
    ]);
    const started = proc.events.find((e) => e.type === ReleaseEventType.HOOK_STARTED && e.step === 2);
    expect(started).toMatchObject({ hook: 'analysis', point: 'step', step: 2, steps: 3, attempt: 1, weights: { blue: 50, green: 50 } });
    expect(w.violations).toEqual([]);
  });

  it('several hooks at one point run in declaration order; the first that does not pass decides', async () => {
    // GIVEN three pre-promotion hooks, the second inconclusive
    const w = worldWith([fakeHook('a', 'pre-promotion'), fakeHook('b', 'pre-promotion'), fakeHook('c', 'pre-promotion')]);
    w.hookScript.b = { verdict: 'inconclusive', detail: 'p99 noisy' };
    // WHEN
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    // THEN a ran, then b decided, and c was not run
    expect(outcome.status).toBe('awaiting-approval');
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['a', 'b']);
  });

  it('a retried hook passes on its third attempt (a throw and a failure before), with the attempt in each event', async () => {
    const w = worldWith([fakeHook('migrate', 'pre-release', { retries: 2 })]);
    w.hookScript.migrate = ['throw', { verdict: 'failed', detail: 'lock busy' }, 'passed'];
    const proc = w.process('cli');
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome.status).toBe('succeeded');
    expect(w.hookCalls.map((c) => [c.key, c.attempt])).toEqual([
      ['r1:migrate:pre-release', 1],
      ['r1:migrate:pre-release', 2],
      ['r1:migrate:pre-release', 3],
    ]);
    expect(runOf(w, 'r1:migrate:pre-release')).toMatchObject({ status: 'passed', attempts: 3 });
    expect(hookEvents(proc)).toEqual([
      'hook-started: Running pre-release hook migrate (lambda, attempt 1/3, key r1:migrate:pre-release)',
      'hook-retrying: Pre-release hook migrate attempt 1/3 failed: threw: migrate exploded; trying again',
      'hook-started: Running pre-release hook migrate (lambda, attempt 2/3, key r1:migrate:pre-release)',
      'hook-retrying: Pre-release hook migrate attempt 2/3 failed: lock busy; trying again',
      'hook-started: Running pre-release hook migrate (lambda, attempt 3/3, key r1:migrate:pre-release)',
      'hook-passed: Pre-release hook migrate passed after 3 attempts',
    ]);
  });

  it('a hook that does not answer within its timeout fails the attempt; the engine waits on its clock, in slices', async () => {
    // GIVEN a step hook that never answers, 5 s timeout, 1 retry
    const w = worldWith([fakeHook('analysis', 'step', { timeoutMs: 5_000, retries: 1 })]);
    w.hookScript.analysis = 'hang';
    const proc = w.process('cli');
    const sleeps: number[] = [];
    const sleep = proc.ports.clock.sleep;
    Object.assign(proc.ports.clock, { sleep: (ms: number) => (sleeps.push(ms), sleep(ms)) });
    // WHEN
    const outcome = await engineFor(proc).release({ strategy: ReleaseStrategy.allAtOnce(), releaseId: 'r1' });
    // THEN both attempts timed out, the step hook failed and the release rolled back
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 1 });
    expect(outcome.message).toContain('Reason: step 1/1 hook analysis failed: no answer within its timeout of 5s.');
    expect(runOf(w, 'r1:analysis:step:1')).toMatchObject({ status: 'failed', attempts: 2, detail: 'no answer within its timeout of 5s' });
    expect(w.weights).toEqual(BLUE);
    // AND the wait was 2 × 5 s of the engine's clock, never a sleep longer than a second
    expect(sleeps.filter((ms) => ms > 1_000)).toEqual([]);
    expect(w.now - T0).toBe(10_000);
  });

  it('a heartbeat is written while a long hook runs, so the lease does not run out under it', async () => {
    const w = worldWith([fakeHook('migrate', 'pre-release', { timeoutMs: 10 * MINUTE })]);
    // The hook answers after 3 minutes of the world's clock.
    let answer: ((v: { verdict: 'passed' }) => void) | undefined;
    w.hookScript.migrate = 'hang';
    w.at(T0 + 3 * MINUTE, async () => answer?.({ verdict: 'passed' }));
    const proc = w.process('cli');
    const run = proc.ports.hooks!.runner.run.bind(proc.ports.hooks!.runner);
    Object.assign(proc.ports.hooks!.runner, {
      run: (...args: Parameters<typeof run>) => (void run(...args), new Promise((resolve) => (answer = resolve))),
    });
    const writes: number[] = [];
    w.beforeCall = async (_p, method) => (method === 'state.write' && writes.push(w.now - T0), false);
    const outcome = await engineFor(proc).release({ strategy: ReleaseStrategy.allAtOnce(), releaseId: 'r1' });
    expect(outcome.status).toBe('succeeded');
    // Claim, running, then heartbeats at least every 15 s during the 3 minutes, then the verdict.
    const during = writes.filter((t) => t > 0 && t < 3 * MINUTE);
    expect(during.length).toBeGreaterThanOrEqual(11);
    for (let i = 1; i < during.length; i++) expect(during[i] - during[i - 1]).toBeLessThanOrEqual(16_000);
  });
});

describe('pre-release', () => {
  it('failed: the release ends aborted with nothing moved, the detail in its reason; on-rollback hooks run', async () => {
    const w = worldWith();
    w.hookScript.migrate = { verdict: 'failed', detail: 'column users.email2 exists' };
    const proc = w.process('cli');
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'aborted', exitCode: 1, weights: BLUE });
    expect(outcome.message).toBe('Aborted r1 before any weight moved (blue holds 100 %): pre-release hook migrate failed: column users.email2 exists.');
    expect(w.stored?.state).toMatchObject({ status: 'aborted', reason: 'pre-release hook migrate failed: column users.email2 exists', stepIndex: -1 });
    expect(w.calls.filter((c) => c.mutating && c.method !== 'state.write' && !c.method.startsWith('hook:'))).toEqual([]);
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['migrate', 'undo']);
    expect(runOf(w, 'r1:undo:on-rollback')).toMatchObject({ status: 'passed' });
  });

  it('inconclusive counts as failed: the release ends aborted, nothing moved, no approval awaited', async () => {
    // GIVEN an expand migration that cannot tell whether it is done
    const w = worldWith([fakeHook('migrate', 'pre-release'), fakeHook('undo', 'on-rollback')]);
    w.hookScript.migrate = { verdict: 'inconclusive', detail: 'backfill 80 % done' };
    const proc = w.process('cli');
    // WHEN
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    // THEN aborted with nothing moved, recorded failed with what the hook said
    const reason = 'pre-release hook migrate failed: inconclusive, which counts as failed at pre-release (a migration that cannot tell is not safe to release on): backfill 80 % done';
    expect(outcome).toMatchObject({ status: 'aborted', exitCode: 1, weights: BLUE });
    expect(outcome.message).toBe(`Aborted r1 before any weight moved (blue holds 100 %): ${reason}.`);
    expect(w.stored?.state).toMatchObject({ status: 'aborted', reason, stepIndex: -1 });
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    expect(runOf(w, 'r1:migrate:pre-release')?.status).toBe('failed');
    expect(w.sets).toEqual([]);
    expect(proc.eventTypes()).toContain(ReleaseEventType.HOOK_FAILED);
    expect(proc.eventTypes()).not.toContain(ReleaseEventType.AWAITING_APPROVAL);
    // AND the on-rollback hook ran, as after any abort
    expect(runOf(w, 'r1:undo:on-rollback')?.status).toBe('passed');
  });
});

describe('step hooks', () => {
  it('failed: rolls back at that step, with the hook and its detail as the reason', async () => {
    const w = worldWith();
    w.hookScript.analysis = (e) => (e.step === 2 ? { verdict: 'failed', detail: 'error rate 4 % > 1 %' } : 'passed');
    const proc = w.process('cli');
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 2, weights: BLUE });
    expect(w.stored?.state).toMatchObject({ status: 'rolled-back', reason: 'step 2/3 hook analysis failed: error rate 4 % > 1 %' });
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, { blue: 50, green: 50 }, BLUE]);
    // AND the on-rollback hook ran after the rollback was recorded, and the release's outcome is the rollback's
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['migrate', 'analysis', 'analysis', 'undo']);
    expect(w.callsOf('undo')[0].event).toMatchObject({ point: 'on-rollback', weights: BLUE });
  });

  it('throwing on every attempt counts as failed', async () => {
    const w = worldWith([fakeHook('analysis', 'step', { retries: 1 })]);
    w.hookScript.analysis = 'throw';
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 1 });
    expect(runOf(w, 'r1:analysis:step:1')).toMatchObject({ status: 'failed', attempts: 2, detail: 'threw: analysis exploded' });
  });

  it('an unknown verdict counts as a failed attempt', async () => {
    const w = worldWith([fakeHook('analysis', 'step')]);
    w.hookScript.analysis = { verdict: 'maybe' as never };
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome.status).toBe('rolled-back');
    expect(runOf(w, 'r1:analysis:step:1')?.detail).toBe('answered an unknown verdict "maybe"');
  });

  it('inconclusive: waits for approval at the current weight before the next step; approve goes on without running it again', async () => {
    // GIVEN a step hook that cannot decide at step 1
    const w = worldWith();
    w.hookScript.analysis = (e) => (e.step === 1 ? { verdict: 'inconclusive', detail: 'too little traffic' } : 'passed');
    const proc = w.process('cli');
    // WHEN
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    // THEN it waits at step 1's weights
    expect(outcome).toMatchObject({ status: 'awaiting-approval', exitCode: 1, weights: { blue: 90, green: 10 } });
    expect(outcome.message).toBe(
      'Release r1 awaits approval before step 2/3 (50 %) at blue 90 % / green 10 %: step 1/3 hook analysis was inconclusive (too little traffic); waits before step 2/3 (50 %). ' +
        "It stays in progress, guarded by green's gate alarms and the auto-rollback. Run `bluegreen approve web` to go on, or `bluegreen rollback web`.",
    );
    expect(w.stored?.state).toMatchObject({ status: 'in-progress', stepIndex: 0, awaitingApproval: { beforeStep: 1, reason: 'inconclusive', since: T0 + MINUTE } });
    expect(runOf(w, 'r1:analysis:step:1')?.status).toBe('inconclusive');
    expect(hookEvents(proc).at(-1)).toMatch(/^awaiting-approval: Release r1 awaits approval/);

    // WHEN a person approves, later, from another process
    await w.advance(10 * MINUTE);
    const approver = w.process('approver');
    const approved = await engineFor(approver).approve();

    // THEN the release goes on from step 2; the inconclusive hook is not run again
    expect(approved).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(w.callsOf('analysis').map((c) => c.event.step)).toEqual([1, 2, 3]);
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    expect(hookEvents(approver)[0]).toBe(
      'approved: Approved r1 after 10m (step 1/3 hook analysis was inconclusive (too little traffic); waits before step 2/3 (50 %)); going on with step 2/3 (50 %)',
    );
  });

  it('inconclusive at the last step (100 %): waits before promotion; approve promotes', async () => {
    const w = worldWith([fakeHook('analysis', 'step')]);
    w.hookScript.analysis = (e) => (e.step === 2 ? 'inconclusive' : 'passed');
    const outcome = await engineFor(w.process('cli')).release({ strategy: ReleaseStrategy.canary(10, MINUTE), releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'awaiting-approval', weights: GREEN });
    expect(outcome.message).toContain('awaits approval before promotion');
    expect(w.stored?.state.awaitingApproval?.beforeStep).toBe(2);
    const approved = await engineFor(w.process('approver')).approve();
    expect(approved.status).toBe('succeeded');
    expect(w.stored?.state.status).toBe('succeeded');
  });
});

describe('pre-promotion', () => {
  it('failed: rolls back before the candidate gets 100 %', async () => {
    const w = worldWith();
    w.hookScript.smoke = { verdict: 'failed', detail: 'checkout smoke test: 500' };
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, failedStep: 2 });
    expect(w.stored?.state.reason).toBe('pre-promotion hook smoke failed: checkout smoke test: 500');
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, { blue: 50, green: 50 }, BLUE]);
    expect(runOf(w, 'r1:undo:on-rollback')?.status).toBe('passed');
  });

  it('inconclusive: waits before the step to 100 %; approve runs the hooks after it, then promotes', async () => {
    const w = worldWith([fakeHook('smoke', 'pre-promotion'), fakeHook('load', 'pre-promotion')]);
    w.hookScript.smoke = 'inconclusive';
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'awaiting-approval', weights: { blue: 50, green: 50 } });
    expect(w.stored?.state.awaitingApproval).toMatchObject({ beforeStep: 2, reason: 'inconclusive' });
    expect(w.callsOf('load')).toEqual([]);
    const approved = await engineFor(w.process('approver')).approve();
    expect(approved.status).toBe('succeeded');
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['smoke', 'load']);
  });
});

describe('post-promotion', () => {
  it('failed: rolls back to the old colour, still warm; the record ends rolled back with the reason', async () => {
    // GIVEN a post-promotion check that fails
    const w = worldWith();
    w.hookScript.verify = { verdict: 'failed', detail: 'orders not written' };
    const proc = w.process('cli');
    // WHEN
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    // THEN green was promoted, then traffic went back to blue (verified) and the record says why
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, weights: BLUE });
    expect(outcome.message).toContain('Reason: post-promotion hook verify failed: orders not written.');
    expect(w.sets.at(-2)).toEqual(GREEN);
    expect(w.weights).toEqual(BLUE);
    expect(w.testTarget).toBe('green');
    expect(w.stored?.state).toMatchObject({ status: 'rolled-back', reason: 'post-promotion hook verify failed: orders not written' });
    expect(w.stored?.state.scaleDownAt).toBeUndefined();
    // AND the on-rollback hook ran after it
    expect(w.hookCalls.map((c) => c.hook).slice(-2)).toEqual(['verify', 'undo']);
    expect(proc.eventTypes()).toContain(ReleaseEventType.ROLLED_BACK);
    expect(w.violations).toEqual([]);
  });

  it('failed when the old colour has no capacity left: not rolled back, reported failed', async () => {
    const w = worldWith([fakeHook('verify', 'post-promotion')]);
    w.hookScript.verify = () => {
      w.setMode('blue', 'standby');
      return 'failed';
    };
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(outcome.message).toContain('blue is in standby (desired 0): there is no warm colour to roll back to');
    expect(w.weights).toEqual(GREEN);
    expect(w.stored?.state.status).toBe('succeeded');
  });

  it('inconclusive counts as failed: rolls back to the old colour while it is warm', async () => {
    const w = worldWith([fakeHook('verify', 'post-promotion')]);
    w.hookScript.verify = { verdict: 'inconclusive', detail: 'no orders yet' };
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 1, weights: BLUE });
    expect(outcome.message).toContain(
      'Reason: post-promotion hook verify failed: inconclusive, which counts as failed at post-promotion (the old colour is still warm to roll back to): no orders yet.',
    );
    expect(w.sets.at(-2)).toEqual(GREEN);
    expect(w.weights).toEqual(BLUE);
    expect(w.stored?.state.status).toBe('rolled-back');
    expect(runOf(w, 'r1:verify:post-promotion')?.status).toBe('failed');
    expect(w.violations).toEqual([]);
  });

  it('also run after promote() of a release in progress, which skips the step and pre-promotion hooks', async () => {
    const w = worldWith();
    const driver = w.process('driver');
    w.at(T0 + 90_000, async () => void (driver.dead = true));
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    const outcome = await engineFor(w.process('operator')).promote();
    expect(outcome.status).toBe('succeeded');
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['migrate', 'analysis', 'verify']);
  });

  it('promote() refuses a release whose pre-release hooks have not passed', async () => {
    const w = worldWith([fakeHook('migrate', 'pre-release')]);
    const driver = w.process('driver');
    w.hookScript.migrate = 'hang';
    w.beforeCall = async (proc, method) => (proc === 'driver' && method === 'hook:migrate' && (w.crash = { at: w.mutations + 1, when: 'after' }), false);
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    const outcome = await engineFor(w.process('operator')).promote();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe('Cannot promote green: the pre-release hooks of r1 have not passed (migrate). Run resume to run them first, or abort.');
  });
});

describe('on-rollback', () => {
  async function inProgress(hooks = everyPoint()): Promise<FakeWorld> {
    const w = worldWith(hooks);
    const driver = w.process('driver');
    w.at(T0 + 90_000, async () => void (driver.dead = true));
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    return w;
  }

  it.each([
    ['rollback', 'rolled-back'],
    ['abort', 'aborted'],
  ] as const)('runs after %s, and a failing on-rollback hook never changes its outcome', async (command, status) => {
    const w = await inProgress();
    w.hookScript.undo = { verdict: 'failed', detail: 'cache flush failed' };
    const engine = engineFor(w.process('operator'));
    const outcome = command === 'rollback' ? await engine.rollback() : await engine.abort();
    expect(outcome).toMatchObject({ status, exitCode: 0, weights: BLUE });
    expect(outcome.message).toContain('on-rollback hook undo failed (cache flush failed); the rollback stands.');
    expect(w.stored?.state.status).toBe(status);
    expect(runOf(w, 'r1:undo:on-rollback')).toMatchObject({ status: 'failed', detail: 'cache flush failed' });
    // AND a second rollback re-applies the weights but does not run the hook again
    await engineFor(w.process('operator-2')).rollback();
    expect(w.callsOf('undo')).toHaveLength(1);
  });

  it('runs after an automatic rollback (the auto-rollback Lambda calls rollback as owner auto-rollback)', async () => {
    const w = await inProgress();
    const outcome = await engineFor(w.process('auto-rollback')).rollback({ reason: 'web-green-5xx fired' });
    expect(outcome.status).toBe('rolled-back');
    expect(w.callsOf('undo')).toHaveLength(1);
    expect(w.callsOf('undo')[0].proc).toBe('auto-rollback');
  });

  it('runs after reconcile() rolls back an interrupted release whose gate fails', async () => {
    const w = await inProgress();
    w.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);
    await w.advance(3 * MINUTE);
    const outcome = await engineFor(w.process('reconciler')).reconcile();
    expect(outcome).toMatchObject({ action: 'rolled-back', status: 'rolled-back' });
    expect(runOf(w, 'r1:undo:on-rollback')?.status).toBe('passed');
  });

  it('a throwing on-rollback hook is recorded failed; the rollback stands', async () => {
    const w = await inProgress();
    w.hookScript.undo = 'throw';
    const outcome = await engineFor(w.process('operator')).rollback();
    expect(outcome).toMatchObject({ status: 'rolled-back', exitCode: 0 });
    expect(runOf(w, 'r1:undo:on-rollback')).toMatchObject({ status: 'failed', detail: 'threw: undo exploded' });
  });

  it('a command hook this process was not given is reported with how to run it, not recorded', async () => {
    // GIVEN a release started with an on-rollback command hook
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-on-rollback', 'on-rollback', { kind: 'command' });
    const driver = w.process('driver').withHooks([cmd]);
    w.at(T0 + 90_000, async () => void (driver.dead = true));
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    expect(w.stored?.state.commandHooks).toEqual(['cmd-on-rollback']);
    // WHEN the auto-rollback (no command hooks) rolls it back
    const auto = w.process('auto-rollback');
    const outcome = await engineFor(auto).rollback();
    // THEN the rollback goes through, and the skipped hook is reported
    expect(outcome.status).toBe('rolled-back');
    expect(auto.events.filter((e) => e.type === ReleaseEventType.HOOK_SKIPPED).map((e) => e.message)).toEqual([
      'on-rollback hook cmd-on-rollback was not run: this process was not given it; run `bluegreen rollback web --on-rollback-cmd <command>` to run it',
    ]);
    expect(w.stored?.state.hooks ?? []).toEqual([]);
    // AND an operator who runs rollback with it runs it
    await engineFor(w.process('operator').withHooks([cmd])).rollback();
    expect(w.callsOf('cmd-on-rollback')).toHaveLength(1);
  });
});

/** Crash the driver on its call of hook `name` (before: the hook did not run; after: it ran, its verdict unrecorded). */
function crashOnHook(w: FakeWorld, name: string, when: CrashWhen, nth = 1): void {
  let seen = 0;
  w.beforeCall = async (proc, method) => {
    if (proc !== 'driver' || method !== `hook:${name}` || ++seen !== nth) return false;
    w.crash = { at: w.mutations + 1, when };
    return true;
  };
}

describe('a crash during a hook', () => {
  const cases: Array<{ point: HookPointName; hook: string; key: string; nth?: number; failing?: string }> = [
    { point: 'pre-release', hook: 'migrate', key: 'r1:migrate:pre-release' },
    { point: 'step', hook: 'analysis', key: 'r1:analysis:step:2', nth: 2 },
    { point: 'pre-promotion', hook: 'smoke', key: 'r1:smoke:pre-promotion' },
    { point: 'post-promotion', hook: 'verify', key: 'r1:verify:post-promotion' },
    { point: 'on-rollback', hook: 'undo', key: 'r1:undo:on-rollback', failing: 'analysis' },
  ];
  for (const c of cases) {
    for (const when of ['before', 'after'] as const) {
      it(`${c.point} (${when} the call): resume runs it again with the same key, then goes on`, async () => {
        // GIVEN a driver that dies at the hook's call
        const w = worldWith();
        if (c.failing) w.hookScript[c.failing] = 'failed';
        crashOnHook(w, c.hook, when, c.nth);
        const driver = w.process('driver');
        await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
        expect(runOf(w, c.key)?.status).toBe('running');
        expect(w.callsOf(c.hook).filter((x) => x.key === c.key)).toHaveLength(when === 'after' ? 1 : 0);

        // WHEN a new process resumes after the lease
        await w.advance(2 * MINUTE + 1);
        const recovery = w.process('recovery');
        const outcome = await engineFor(recovery).resume();

        // THEN the hook ran again with the same key, and the release ended as it would have
        const calls = w.callsOf(c.hook).filter((x) => x.key === c.key);
        expect(calls.at(-1)).toMatchObject({ proc: 'recovery', key: c.key, attempt: 1 });
        expect(runOf(w, c.key)?.status).toBe('passed');
        const again = recovery.events.find((e) => e.type === ReleaseEventType.HOOK_STARTED && e.hook === c.hook);
        expect(again?.message).toContain('again (its last run was interrupted)');
        if (c.point === 'on-rollback') {
          expect(outcome.status).toBe('rolled-back');
          expect(w.weights).toEqual(BLUE);
        } else {
          expect(outcome.status).toBe('succeeded');
          expect(w.weights).toEqual(GREEN);
          expect(w.stored?.state.status).toBe('succeeded');
        }
        expect(w.violations).toEqual([]);
      });
    }
  }

  it('a hook already passed is not run again by resume', async () => {
    // GIVEN a driver that dies right after recording the pre-release hook passed
    const w = worldWith([fakeHook('migrate', 'pre-release')]);
    const driver = w.process('driver');
    let afterHook = false;
    w.beforeCall = async (proc, method) => {
      if (proc === 'driver' && method === 'hook:migrate') afterHook = true;
      else if (afterHook && proc === 'driver' && method === 'state.write') {
        w.crash = { at: w.mutations + 1, when: 'after' };
        return true;
      }
      return false;
    };
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    expect(runOf(w, 'r1:migrate:pre-release')?.status).toBe('passed');
    // WHEN
    await w.advance(2 * MINUTE + 1);
    const outcome = await engineFor(w.process('recovery')).resume();
    // THEN
    expect(outcome.status).toBe('succeeded');
    expect(w.callsOf('migrate')).toHaveLength(1);
  });

  it('a failed verdict recorded before the crash is acted on: resume rolls back without running the hook again', async () => {
    const w = worldWith([fakeHook('analysis', 'step')]);
    w.hookScript.analysis = 'failed';
    let recorded = false;
    w.beforeCall = async (proc, method) => {
      if (proc === 'driver' && method === 'hook:analysis') recorded = true;
      else if (recorded && proc === 'driver' && method === 'state.write') {
        w.crash = { at: w.mutations + 1, when: 'after' };
        return true;
      }
      return false;
    };
    const driver = w.process('driver');
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    expect(runOf(w, 'r1:analysis:step:1')?.status).toBe('failed');
    await w.advance(2 * MINUTE + 1);
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 1 });
    expect(w.callsOf('analysis')).toHaveLength(1);
    expect(w.weights).toEqual(BLUE);
  });

  it('resume refuses, changing nothing, when it needs a command hook it was not given; with it, it goes on', async () => {
    // GIVEN a release whose driver had a pre-release command and died during it
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-pre-release', 'pre-release', { kind: 'command' });
    const driver = w.process('driver').withHooks([cmd]);
    crashOnHook(w, 'cmd-pre-release', 'after');
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    await w.advance(2 * MINUTE + 1);
    const before = structuredClone(w.stored);

    // WHEN resumed without it
    const outcome = await engineFor(w.process('recovery')).resume();

    // THEN refused, naming the hook and the flag; nothing changed
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe('Cannot resume r1: it needs hooks this process was not given (cmd-pre-release: pass --pre-release-cmd again). Nothing was changed.');
    expect(w.calls.filter((c) => c.proc === 'recovery' && c.mutating)).toEqual([]);
    expect(w.stored).toEqual(before);

    // WHEN resumed with it
    const again = await engineFor(w.process('recovery-2').withHooks([cmd])).resume();
    expect(again.status).toBe('succeeded');
    expect(w.callsOf('cmd-pre-release').map((c) => c.proc)).toEqual(['driver', 'recovery-2']);
  });

  it('resume refuses when a command hook of a point still ahead was not given (never stored as text: only its name)', async () => {
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-post-promotion', 'post-promotion', { kind: 'command' });
    const driver = w.process('driver').withHooks([cmd]);
    w.at(T0 + 90_000, async () => void (driver.dead = true));
    await dies(driver, engineFor(driver).release({ strategy: threeSteps, releaseId: 'r1' }));
    await w.advance(2 * MINUTE + 1);
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('cmd-post-promotion: pass --post-promotion-cmd again');
    expect(JSON.stringify(w.stored)).not.toContain('sh -c');
  });
});

describe('old colour down', () => {
  it('a post-promotion failure never moves weight onto an old colour with no healthy target', async () => {
    const w = worldWith([fakeHook('verify', 'post-promotion')]);
    w.hookScript.verify = () => {
      w.healthRule = (c) => (c === 'blue' ? { healthy: 0, total: SERVING } : undefined);
      return 'failed';
    };
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(outcome.message).toContain('post-promotion hook verify failed');
    expect(w.weights).toEqual(GREEN);
    expect(w.violations).toEqual([]);
  });
});

describe('plan', () => {
  it('lists the hooks at their points and the pauses', async () => {
    const w = worldWith([fakeHook('migrate', 'pre-release', { retries: 2 }), fakeHook('smoke', 'pre-promotion'), fakeHook('drop', 'post-promotion', { contract: true })]);
    const plan = await engineFor(w.process('cli')).plan({ strategy: threeSteps, pauseBefore: [2] });
    const lines = plan.actions.filter((a) => !a.startsWith('check '));
    expect(lines).toEqual([
      'write the release record (in progress, steps 10, 50, 100 %, bake 1m per step)',
      'record the contract hooks drop deferred: never run during the release; `bluegreen contract web` runs them once blue is in standby',
      'run the pre-release hooks migrate (lambda, 30s timeout, 2 retries): failed or inconclusive aborts the release with nothing moved',
      expect.stringMatching(/^step 1\/3: record, set blue 90 % \/ green 10 %/),
      expect.stringMatching(/^step 2\/3: /),
      'pause before step 3/3: wait for approval at the current weight (still in progress and guarded; `bluegreen approve` goes on)',
      'run the pre-promotion hooks smoke (lambda, 30s timeout): failed rolls back; inconclusive: wait for approval at the current weight (still in progress and guarded; `bluegreen approve` goes on)',
      expect.stringMatching(/^step 3\/3: /),
      'promote: point the test route at blue; record the release as succeeded',
      'keep blue ready for 15m, then scale-down puts it in standby',
    ]);
    expect(w.hookCalls).toEqual([]);
  });
});

describe('waiting for a hook', () => {
  it('ends as soon as the hook answers, not at the end of a wait slice', async () => {
    // GIVEN a hook that answers after 30 ms of real time, and a clock that sleeps in real time
    const w = worldWith([fakeHook('migrate', 'pre-release')]);
    const proc = w.process('cli');
    const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    Object.assign(proc.ports, {
      clock: { now: () => Date.now(), sleep: realSleep },
      hooks: { hooks: [fakeHook('migrate', 'pre-release')], runner: { run: async () => (await realSleep(30), { verdict: 'passed' as const }) } },
    });

    // WHEN an all-at-once release without bake runs it
    const started = Date.now();
    const outcome = await engineFor(proc).release({ strategy: ReleaseStrategy.explicitSteps([100], 0), releaseId: 'r1' });

    // THEN it passed and the release took far less than the 1 s wait slice
    expect(outcome.status).toBe('succeeded');
    expect(runOf(w, 'r1:migrate:pre-release')?.status).toBe('passed');
    expect(Date.now() - started).toBeLessThan(700);
  });
});
