/**
 * Manual approval: a release that pauses before a step (`pauseBefore`) waits at its current weight, still guarded;
 * `approve()` continues it; resume refuses it; rollback, abort and promote work on it; the reconciler leaves it
 * alone while its gate passes, whatever its heartbeat, and rolls it back when its gate fails.
 */
import { describe, expect, it } from 'vitest';
import { decideReconcile, ReleaseEventType, ReleaseInProgressError, ReleaseStrategy, UsageError } from '../../lib/release';
import { engineFor, fakeHook, FakeWorld, SERVING, T0 } from './fakes';

const MINUTE = 60_000;
const fourSteps = ReleaseStrategy.explicitSteps([10, 25, 50, 100], MINUTE);
const BLUE = { blue: 100, green: 0 };
const GREEN = { blue: 0, green: 100 };
const AT_50 = { blue: 50, green: 50 };

/** A release of `fourSteps` paused before its last step (`--pause-before 100`), its driver gone. */
async function paused(hooks = false): Promise<FakeWorld> {
  const w = new FakeWorld();
  if (hooks) w.releaseHooks = [fakeHook('analysis', 'step'), fakeHook('undo', 'on-rollback')];
  const outcome = await engineFor(w.process('cli')).release({ strategy: fourSteps, releaseId: 'r1', pauseBefore: [3] });
  expect(outcome.status).toBe('awaiting-approval');
  return w;
}

describe('pause before a step', () => {
  it('stops at the current weight, records awaitingApproval, and returns awaiting-approval (exit 1)', async () => {
    const w = new FakeWorld();
    const proc = w.process('cli');
    const outcome = await engineFor(proc).release({ strategy: fourSteps, releaseId: 'r1', pauseBefore: [3] });
    expect(outcome).toMatchObject({ status: 'awaiting-approval', exitCode: 1, releaseId: 'r1', weights: AT_50 });
    expect(outcome.message).toBe(
      'Release r1 awaits approval before step 4/4 (100 %) at blue 50 % / green 50 %: paused before step 4/4 (100 %), as asked. ' +
        "It stays in progress, guarded by green's gate alarms and the auto-rollback. Run `bluegreen approve web` to go on, or `bluegreen rollback web`.",
    );
    expect(w.weights).toEqual(AT_50);
    expect(w.stored?.state).toMatchObject({
      status: 'in-progress',
      stepIndex: 2,
      pauseBefore: [3],
      awaitingApproval: { since: T0 + 3 * MINUTE, beforeStep: 3, reason: 'pause', detail: 'paused before step 4/4 (100 %), as asked' },
    });
    expect(proc.eventTypes().at(-1)).toBe(ReleaseEventType.AWAITING_APPROVAL);
    expect(proc.events[1].message).toBe('Releasing green (r1): steps 10, 25, 50, 100 %, bake 1m per step; pauses for approval before step 4');
  });

  it('before the first step: claims the record and waits with nothing moved', async () => {
    const w = new FakeWorld();
    const outcome = await engineFor(w.process('cli')).release({ strategy: fourSteps, releaseId: 'r1', pauseBefore: [0] });
    expect(outcome).toMatchObject({ status: 'awaiting-approval', weights: BLUE });
    expect(w.sets).toEqual([]);
    const approved = await engineFor(w.process('approver')).approve();
    expect(approved.status).toBe('succeeded');
    expect(w.weights).toEqual(GREEN);
  });

  it('several pauses: each needs its own approval', async () => {
    const w = new FakeWorld();
    await engineFor(w.process('cli')).release({ strategy: fourSteps, releaseId: 'r1', pauseBefore: [1, 3] });
    expect(w.stored?.state.awaitingApproval?.beforeStep).toBe(1);
    const first = await engineFor(w.process('approver')).approve();
    expect(first.status).toBe('awaiting-approval');
    expect(w.stored?.state).toMatchObject({ pauseBefore: [3], awaitingApproval: { beforeStep: 3 } });
    const second = await engineFor(w.process('approver')).approve();
    expect(second.status).toBe('succeeded');
    expect(w.stored?.state.pauseBefore).toBeUndefined();
  });

  it('pauseBefore must name steps of the strategy', async () => {
    const engine = engineFor(new FakeWorld().process('cli'));
    await expect(engine.release({ strategy: fourSteps, pauseBefore: [4] })).rejects.toThrow(UsageError);
    await expect(engine.release({ strategy: fourSteps, pauseBefore: [4] })).rejects.toThrow('pauseBefore: must list 0-based step indices from 0 to 3 (the strategy has 4 step(s)).');
    await expect(engine.release({ strategy: fourSteps, pauseBefore: [-1] })).rejects.toThrow(UsageError);
    await expect(engine.release({ strategy: fourSteps, pauseBefore: [1.5] })).rejects.toThrow(UsageError);
  });

  it('status shows the pause and how long it has waited, and no interrupted-release warning', async () => {
    const w = await paused(true);
    await w.advance(2 * 3_600_000);
    const status = await engineFor(w.process('viewer')).status();
    expect(status.awaitingApproval).toEqual({ since: T0 + 3 * MINUTE, beforeStep: 3, reason: 'pause', detail: 'paused before step 4/4 (100 %), as asked', waitingMs: 2 * 3_600_000 });
    expect(status.releaseStale).toBe(false);
    expect(status.warnings).toEqual(['release r1 awaits approval for 2h (paused before step 4/4 (100 %), as asked): run approve to go on, or rollback']);
    expect(status.hooks?.map((r) => [r.key, r.status])).toEqual([
      ['r1:analysis:step:1', 'passed'],
      ['r1:analysis:step:2', 'passed'],
      ['r1:analysis:step:3', 'passed'],
    ]);
  });
});

describe('approve()', () => {
  it('polls the gate, clears the pause and goes on from the next step', async () => {
    const w = await paused(true);
    await w.advance(30 * MINUTE);
    const proc = w.process('approver');
    const outcome = await engineFor(proc).approve();
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0, weights: GREEN });
    expect(w.stored?.state).toMatchObject({ status: 'succeeded', owner: 'approver' });
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    expect(w.callsOf('analysis').map((c) => c.event.step)).toEqual([1, 2, 3, 4]);
    expect(proc.eventTypes().slice(0, 2)).toEqual([ReleaseEventType.APPROVED, ReleaseEventType.STEP_STARTED]);
    expect(proc.events[0].message).toBe('Approved r1 after 30m (paused before step 4/4 (100 %), as asked); going on with step 4/4 (100 %)');
  });

  it('is refused, changing nothing, when the gate fails; it says to roll back', async () => {
    const w = await paused();
    w.alarmRule = (c) => (c === 'green' ? ['web-green-5xx'] : []);
    const before = structuredClone(w.stored);
    const outcome = await engineFor(w.process('approver')).approve();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe(
      'Cannot approve r1: green fails its gate (alarms firing on green: web-green-5xx). Nothing was changed. ' +
        'Run `bluegreen rollback web` to send 100 % back to blue, or approve again once the gate passes.',
    );
    expect(w.stored).toEqual(before);
    expect(w.calls.filter((c) => c.proc === 'approver' && c.mutating)).toEqual([]);
  });

  it('is refused when fewer targets are healthy than the candidate’s desired capacity', async () => {
    const w = await paused();
    w.healthRule = (c) => (c === 'green' ? { healthy: 2, total: SERVING } : undefined);
    const outcome = await engineFor(w.process('approver')).approve();
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('green has 2/3 healthy targets, 3 expected');
  });

  it('is a no-op when nothing waits', async () => {
    const w = new FakeWorld();
    expect(await engineFor(w.process('a')).approve()).toMatchObject({ status: 'noop', exitCode: 0, message: 'web has no release; nothing to approve.' });
    await engineFor(w.process('cli')).release({ strategy: fourSteps, releaseId: 'r1' });
    const done = await engineFor(w.process('a')).approve();
    expect(done).toMatchObject({ status: 'noop', message: 'web has no release in progress (last: r1, succeeded); nothing to approve.' });
  });

  it('is refused when it needs a command hook it was not given', async () => {
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-step', 'step', { kind: 'command' });
    await engineFor(w.process('cli').withHooks([cmd])).release({ strategy: fourSteps, releaseId: 'r1', pauseBefore: [3] });
    const outcome = await engineFor(w.process('approver')).approve();
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toBe('Cannot approve r1: it needs hooks this process was not given (cmd-step: pass --step-cmd again). Nothing was changed.');
    const withIt = await engineFor(w.process('approver').withHooks([cmd])).approve();
    expect(withIt.status).toBe('succeeded');
  });

  it('a crash right after approving leaves a release resume continues', async () => {
    const w = await paused();
    const approver = w.process('approver');
    w.crash = { at: w.mutations + 1, when: 'after' };
    await engineFor(approver).approve().catch(() => undefined);
    expect(approver.dead).toBe(true);
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    await w.advance(3 * MINUTE);
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('succeeded');
    expect(w.weights).toEqual(GREEN);
  });
});

describe('a release awaiting approval', () => {
  it('is not resumed: resume says approve or rollback', async () => {
    const w = await paused();
    await w.advance(10 * MINUTE);
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe(
      'Release r1 awaits approval before step 4/4 (100 %) (for 10m: paused before step 4/4 (100 %), as asked); resume does not continue it. ' +
        'Run `bluegreen approve web` to go on, or `bluegreen rollback web`.',
    );
    expect(w.calls.filter((c) => c.proc === 'recovery' && c.mutating)).toEqual([]);
  });

  it('keeps a new release out, saying to approve or roll back', async () => {
    const w = await paused();
    const error = await engineFor(w.process('other')).release({ strategy: fourSteps }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseInProgressError);
    expect((error as Error).message).toContain('awaits approval (for 0s: paused before step 4/4 (100 %), as asked). Run approve to continue it, or rollback');
  });

  it.each(['rollback', 'abort'] as const)('%s sends 100 %% back and clears the pause; on-rollback hooks run', async (command) => {
    const w = await paused(true);
    const engine = engineFor(w.process('operator'));
    const outcome = command === 'rollback' ? await engine.rollback() : await engine.abort();
    expect(outcome.status).toBe(command === 'rollback' ? 'rolled-back' : 'aborted');
    expect(w.weights).toEqual(BLUE);
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    expect(w.callsOf('undo')).toHaveLength(1);
  });

  it('promote makes it live and clears the pause', async () => {
    const w = await paused();
    const outcome = await engineFor(w.process('operator')).promote();
    expect(outcome.status).toBe('succeeded');
    expect(w.weights).toEqual(GREEN);
    expect(w.stored?.state.awaitingApproval).toBeUndefined();
    expect(w.stored?.state.pauseBefore).toBeUndefined();
  });

  it('is left alone by the reconciler while its gate passes, however old its heartbeat', async () => {
    const w = await paused();
    await w.advance(6 * 3_600_000);
    const decision = decideReconcile({ at: w.now, release: w.stored?.state });
    expect(decision).toMatchObject({ action: 'reconcile', code: 'release-awaiting-approval', repair: 'rollback' });
    const outcome = await engineFor(w.process('auto-rollback')).reconcile();
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0, action: 'none' });
    expect(outcome.message).toBe(
      'Release r1 (green at step 3/4 (50 %)) awaits approval for 6h (paused before step 4/4 (100 %), as asked); green passes its gate, so it is left as it is. Run approve or rollback.',
    );
    expect(w.weights).toEqual(AT_50);
    expect(w.stored?.state.status).toBe('in-progress');
  });

  it('is rolled back by the reconciler when its candidate’s gate fails (even with a fresh heartbeat)', async () => {
    const w = await paused(true);
    w.healthRule = (c) => (c === 'green' ? { healthy: 1, total: SERVING } : undefined);
    const outcome = await engineFor(w.process('auto-rollback')).reconcile();
    expect(outcome).toMatchObject({ status: 'rolled-back', action: 'rolled-back' });
    expect(w.weights).toEqual(BLUE);
    expect(w.stored?.state).toMatchObject({ status: 'rolled-back', reason: 'reconcile: release awaiting approval (pause) while green has 1/3 healthy targets, 3 expected' });
    expect(w.callsOf('undo')).toHaveLength(1);
  });
});

describe('crash points of approve', () => {
  it('resume (or approve, while the pause is still recorded) or rollback recovers from a crash at any mutating call of approve', async () => {
    const probe = await paused(true);
    const base = probe.mutations;
    expect((await engineFor(probe.process('approver')).approve()).status).toBe('succeeded');
    const total = probe.mutations - base;
    expect(total).toBeGreaterThan(5);

    for (let n = 1; n <= total; n++) {
      for (const when of ['before', 'after'] as const) {
        for (const how of ['resume', 'rollback'] as const) {
          const label = `crash ${n}/${total} ${when}, ${how}`;
          const w = await paused(true);
          w.crash = { at: w.mutations + n, when };
          const approver = w.process('approver');
          await engineFor(approver).approve().catch(() => undefined);
          expect(approver.dead, label).toBe(true);
          w.crash = undefined;
          await w.advance(2 * MINUTE + 1);
          const engine = engineFor(w.process('recovery'));
          if (how === 'rollback') {
            expect((await engine.rollback()).status, label).toBe('rolled-back');
            expect(w.weights, label).toEqual(BLUE);
            expect(w.stored?.state.hooks?.find((r) => r.hook === 'undo')?.status, label).toBe('passed');
          } else {
            const waiting = w.stored?.state.awaitingApproval !== undefined;
            const outcome = waiting ? await engine.approve() : await engine.resume();
            expect(['succeeded', 'noop'], label).toContain(outcome.status);
            expect(w.stored?.state.status, label).toBe('succeeded');
            expect(w.weights, label).toEqual(GREEN);
            expect(w.testTarget, label).toBe('blue');
            // Every step hook passed, the last one whichever process ran it.
            expect(w.stored?.state.hooks?.filter((r) => r.hook === 'analysis').map((r) => r.status), label).toEqual(['passed', 'passed', 'passed', 'passed']);
          }
          expect(w.violations, label).toEqual([]);
        }
      }
    }
  });
});
