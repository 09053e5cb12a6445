/**
 * Hook runs after review: the gate polled after hooks before weights move, leases on the hook runs of an ended
 * release (two processes never both run one), which hooks an ended release still runs, the size of the release
 * record, release ids, and the old colour's scale-down while a post-promotion hook runs.
 */
import { describe, expect, it } from 'vitest';
import { ReleaseEventType, ReleaseOutcome, ReleaseStrategy, UsageError } from '../../lib/release';
import { dies, engineFor, fakeHook, FakeWorld, SERVING, T0 } from './fakes';

const MINUTE = 60_000;
const threeSteps = ReleaseStrategy.explicitSteps([10, 50, 100], MINUTE);
const canary = ReleaseStrategy.canary(10, MINUTE);
const BLUE = { blue: 100, green: 0 };
const GREEN = { blue: 0, green: 100 };

function runOf(w: FakeWorld, key: string) {
  return w.stored?.state.hooks?.find((r) => r.key === key);
}

/** Green loses every target from the moment `sick()` is called. */
function sickGreen(w: FakeWorld): () => void {
  let sick = false;
  w.healthRule = (c) => (c === 'green' && sick ? { healthy: 0, total: SERVING } : undefined);
  return () => void (sick = true);
}

describe('the gate is polled after hooks, before weights move', () => {
  it('pre-release: the candidate failed during the hook: aborted, nothing moved', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('migrate', 'pre-release', { timeoutMs: 10 * MINUTE }), fakeHook('undo', 'on-rollback')];
    const sick = sickGreen(w);
    w.hookScript.migrate = () => (sick(), 'passed');
    const proc = w.process('cli');
    const outcome = await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'aborted', exitCode: 1, weights: BLUE });
    expect(outcome.message).toBe(
      'Aborted r1 before any weight moved (blue holds 100 %): gate failed after the pre-release hooks, before any weight moved: green has 0/3 healthy targets, 3 expected.',
    );
    expect(w.sets).toEqual([]);
    expect(w.stored?.state).toMatchObject({ status: 'aborted', stepIndex: -1 });
    expect(runOf(w, 'r1:undo:on-rollback')?.status).toBe('passed');
    expect(w.violations).toEqual([]);
  });

  it('step: the candidate failed during the step hook: rolled back before the next step', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('analysis', 'step')];
    const sick = sickGreen(w);
    w.hookScript.analysis = (e) => (e.step === 1 && sick(), 'passed');
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 1 });
    expect(outcome.message).toContain('Reason: gate failed after the hooks at step 1/3 (10 %): green has 0/3 healthy targets, 3 expected.');
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, BLUE]);
    expect(w.violations).toEqual([]);
  });

  it('pre-promotion: the candidate failed during the hook: rolled back, never 100 %', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('smoke', 'pre-promotion')];
    const sick = sickGreen(w);
    w.hookScript.smoke = () => (sick(), 'passed');
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 2 });
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, { blue: 50, green: 50 }, BLUE]);
    expect(w.violations).toEqual([]);
  });

  it('a gate alarm that fires during the last step hook stops the promotion', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('analysis', 'step')];
    let firing = false;
    w.alarmRule = (c) => (c === 'green' && firing ? ['web-green-5xx'] : []);
    w.hookScript.analysis = (e) => (e.step === 3 && (firing = true), 'passed');
    const outcome = await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 3 });
    expect(outcome.message).toContain('gate failed after the hooks at step 3/3 (100 %): alarms firing on green: web-green-5xx');
    expect(w.stored?.state.status).toBe('rolled-back');
  });

  it('after approve: hooks run after the approval are followed by a gate poll', async () => {
    // GIVEN a pre-promotion hook inconclusive, a second one after it
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('smoke', 'pre-promotion'), fakeHook('load', 'pre-promotion')];
    w.hookScript.smoke = 'inconclusive';
    expect((await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' })).status).toBe('awaiting-approval');
    // WHEN approved (its gate poll passes), and the candidate fails while the second hook runs
    const sick = sickGreen(w);
    w.hookScript.load = () => (sick(), 'passed');
    const outcome = await engineFor(w.process('approver')).approve();
    // THEN rolled back from 50 %, never 100 %
    expect(outcome).toMatchObject({ status: 'rolled-back', failedStep: 2 });
    expect(w.sets).toEqual([{ blue: 90, green: 10 }, { blue: 50, green: 50 }, BLUE]);
    expect(w.violations).toEqual([]);
  });

  it('no extra poll when no hook ran', async () => {
    const w = new FakeWorld();
    const proc = w.process('cli');
    await engineFor(proc).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(proc.events.filter((e) => e.message.startsWith('Gate passed after'))).toEqual([]);
  });
});

/** A release r1 in progress at step 1 whose driver died. */
async function interrupted(w: FakeWorld): Promise<void> {
  const driver = w.process('driver');
  w.at(T0 + 30_000, async () => void (driver.dead = true));
  await dies(driver, engineFor(driver).release({ strategy: canary, releaseId: 'r1' }));
}

describe('hook runs of an ended release are leased', () => {
  it('a CLI rollback and the auto-rollback at once: the on-rollback hook runs once', async () => {
    // GIVEN a release whose driver died
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('undo', 'on-rollback')];
    await interrupted(w);
    // WHEN the auto-rollback rolls it back while the CLI's rollback calls the hook
    let auto: Promise<ReleaseOutcome> | undefined;
    w.beforeCall = async (proc, method) => {
      if (proc !== 'cli' || method !== 'hook:undo') return false;
      auto = engineFor(w.process('auto-rollback')).rollback({ reason: 'web-green-5xx fired' });
      await auto;
      return true;
    };
    const cli = await engineFor(w.process('cli')).rollback();
    // THEN the hook ran once, by the CLI; the auto-rollback left it and said so
    expect(cli.status).toBe('rolled-back');
    expect(w.callsOf('undo').map((c) => c.proc)).toEqual(['cli']);
    const other = await auto!;
    expect(other.status).toBe('rolled-back');
    expect(other.message).toMatch(/on-rollback hook undo is being run by cli#\w+ \(since .*\): left to it; the rollback stands\.$/);
    expect(runOf(w, 'r1:undo:on-rollback')).toMatchObject({ status: 'passed', attempts: 1 });
    expect(w.violations).toEqual([]);
  });

  it('the rollback claims the on-rollback hooks in the write that ends the release: a crash right after leaves them to the next process', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('undo', 'on-rollback')];
    await interrupted(w);
    // GIVEN a rollback that dies when it is about to record the hook running (after the rolled-back write)
    const dying = w.process('dying');
    let writes = 0;
    w.beforeCall = async (proc, method) => {
      if (proc !== 'dying' || method !== 'state.write' || ++writes !== 2) return false;
      w.crash = { at: w.mutations + 1, when: 'before' };
      return true;
    };
    await dies(dying, engineFor(dying).rollback());
    expect(w.stored?.state.status).toBe('rolled-back');
    const claim = runOf(w, 'r1:undo:on-rollback');
    expect(claim).toMatchObject({ status: 'running', attempts: 0, budgetMs: 60_000 });
    expect(claim?.owner).toMatch(/^dying#/);
    expect(w.callsOf('undo')).toEqual([]);
    // WHEN resumed at once: left to its owner
    const early = await engineFor(w.process('early')).resume();
    expect(early.message).toContain('on-rollback hook undo is being run by dying#');
    expect(w.callsOf('undo')).toEqual([]);
    // WHEN resumed after its budget: it runs
    await w.advance(MINUTE);
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('rolled-back');
    expect(w.callsOf('undo').map((c) => c.proc)).toEqual(['recovery']);
    expect(runOf(w, 'r1:undo:on-rollback')?.status).toBe('passed');
  });

  it('a post-promotion hook running: resume by another process leaves it; scale-down holds while it runs, even forced', async () => {
    // GIVEN a post-promotion hook that answers after 5 minutes
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('verify', 'post-promotion', { timeoutMs: 10 * MINUTE })];
    let answer: ((v: { verdict: 'passed' }) => void) | undefined;
    w.hookScript.verify = 'hang';
    const driver = w.process('driver');
    const run = driver.ports.hooks!.runner.run.bind(driver.ports.hooks!.runner);
    Object.assign(driver.ports.hooks!.runner, {
      run: (...args: Parameters<typeof run>) => (void run(...args), new Promise((resolve) => (answer = resolve))),
    });
    let during: ReleaseOutcome[] = [];
    let warnings: string[] = [];
    w.at(T0 + 3 * MINUTE, async () => {
      const resumed = await engineFor(w.process('other')).resume();
      const scaled = await engineFor(w.process('scaler')).scaleDown({ force: true });
      during = [resumed, scaled];
      warnings = (await engineFor(w.process('status')).status()).warnings;
    });
    w.at(T0 + 7 * MINUTE, async () => answer?.({ verdict: 'passed' }));
    const outcome = await engineFor(driver).release({ strategy: canary, releaseId: 'r1' });
    // THEN the driver's hook passed, and the other process ran nothing
    expect(outcome.status).toBe('succeeded');
    expect(w.callsOf('verify').map((c) => c.proc)).toEqual(['driver']);
    const [resumed, scaled] = during;
    expect(resumed).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(resumed.message).toMatch(/^Release r1 is promoted \(green live\); post-promotion hook verify is being run by driver#\w+/);
    expect(scaled.status).toBe('not-due');
    expect(scaled.message).toMatch(/^blue stays ready while the post-promotion hooks of release r1 run \(post-promotion hook verify is being run by driver#/);
    expect(scaled.message).toContain(`at the latest ${new Date(T0 + 2 * MINUTE + 10 * MINUTE + 30_000).toISOString()}`);
    expect(w.capacity.blue.desired).toBe(SERVING);
    // AND status shows it running, not interrupted
    expect(warnings.filter((x) => x.includes('hook verify'))).toEqual([
      expect.stringMatching(/^post-promotion hook verify of release r1 is running \(driver#\w+, since /),
    ]);
    // AND once it passed, scale-down goes on when due
    await w.advance(15 * MINUTE);
    expect((await engineFor(w.process('scaler')).scaleDown()).status).toBe('scaled-down');
    expect(w.violations).toEqual([]);
  });

  it('scale-down goes on once a running post-promotion run is older than its budget (its process presumed dead)', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('verify', 'post-promotion')];
    const driver = w.process('driver');
    w.beforeCall = async (proc, method) => (proc === 'driver' && method === 'hook:verify' ? ((driver.dead = true), true) : false);
    await dies(driver, engineFor(driver).release({ strategy: canary, releaseId: 'r1' }));
    expect(runOf(w, 'r1:verify:post-promotion')?.status).toBe('running');
    await w.advance(16 * MINUTE);
    expect((await engineFor(w.process('status')).status()).warnings).toContain(
      'post-promotion hook verify of release r1 was interrupted while running: run resume to run it again',
    );
    expect((await engineFor(w.process('scaler')).scaleDown()).status).toBe('scaled-down');
  });

  it('warns before a post-promotion hook whose worst case runs past the scale-down time', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('soak', 'post-promotion', { timeoutMs: 10 * MINUTE, retries: 1 }), fakeHook('quick', 'post-promotion')];
    const proc = w.process('cli');
    await engineFor(proc).release({ strategy: canary, releaseId: 'r1' });
    const warnings = proc.events.filter((e) => e.type === ReleaseEventType.HOOK_WARNING);
    expect(warnings.map((e) => [e.hook, e.message])).toEqual([
      [
        'soak',
        `Post-promotion hook soak may take up to 20m (2 attempt(s) of 10m), longer than the 15m left before blue's scale-down at ${new Date(T0 + 2 * MINUTE + 15 * MINUTE).toISOString()}: ` +
          'scale-down holds while it runs, but a failure it reports after that finds no warm colour to roll back to',
      ],
    ]);
  });
});

describe('which hooks an ended release still runs', () => {
  it('resume or rollback of a release withdrawn by the exclusion runs no on-rollback hook; resume does not roll back', async () => {
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-on-rollback', 'on-rollback', { kind: 'command' });
    w.releaseHooks = [fakeHook('undo', 'on-rollback'), cmd];
    const proc = w.process('cli');
    Object.assign(proc.ports, { exclusion: { refusal: async () => 'the DR record of web is failing-over' } });
    expect((await engineFor(proc).release({ strategy: canary, releaseId: 'r1' })).status).toBe('refused');
    expect(w.stored?.state.status).toBe('aborted');
    const before = w.mutations;
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('noop');
    expect(w.mutations).toBe(before);
    await engineFor(w.process('operator')).rollback();
    expect(w.hookCalls).toEqual([]);
  });

  it('hooks declared after the release ended are not run by resume', async () => {
    // GIVEN r1 rolled back with no on-rollback hook, then one declared
    const w = new FakeWorld();
    await interrupted(w);
    await engineFor(w.process('operator')).rollback();
    w.releaseHooks = [fakeHook('undo', 'on-rollback')];
    const before = w.mutations;
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('noop');
    expect(w.mutations).toBe(before);
    expect(w.callsOf('undo')).toEqual([]);
  });

  it('a post-promotion hook declared after promotion is not run by resume', async () => {
    const w = new FakeWorld();
    await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r1' });
    w.releaseHooks = [fakeHook('verify', 'post-promotion')];
    w.hookScript.verify = 'failed';
    const outcome = await engineFor(w.process('recovery')).resume();
    expect(outcome.status).toBe('noop');
    expect(w.callsOf('verify')).toEqual([]);
    expect(w.weights).toEqual(GREEN);
  });
});

describe('the size of the release record', () => {
  it('keeps at most 300 characters of detail per run', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('analysis', 'step')];
    w.hookScript.analysis = { verdict: 'failed', detail: 'x'.repeat(5_000) };
    await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    const detail = runOf(w, 'r1:analysis:step:1')?.detail ?? '';
    expect(detail).toHaveLength(300);
    expect(detail.endsWith('…')).toBe(true);
  });

  it('drops the detail of passed step runs before the current step', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('analysis', 'step')];
    w.hookScript.analysis = (e) => ({ verdict: 'passed', detail: `p99 fine at step ${e.step}` });
    await engineFor(w.process('cli')).release({ strategy: threeSteps, releaseId: 'r1' });
    expect(w.stored?.state.hooks?.map((r) => [r.step, r.status, r.detail])).toEqual([
      [1, 'passed', undefined],
      [2, 'passed', undefined],
      [3, 'passed', 'p99 fine at step 3'],
    ]);
  });

  it('refuses at plan and release a release whose step hooks would not fit (100 steps × 6 step hooks), nothing written', async () => {
    const w = new FakeWorld();
    w.releaseHooks = Array.from({ length: 6 }, (_x, i) => fakeHook(`analysis-${i}`, 'step'));
    const strategy = ReleaseStrategy.linear(1, 0);
    expect(strategy.steps).toHaveLength(100);
    const engine = engineFor(w.process('cli'));
    const message =
      'A release of 100 steps with 6 step hook(s) would record 600 hook runs (100 × 6), more than the 200 a release record keeps. ' +
      'Release with fewer steps (e.g. --steps 10,25,50,100) or fewer step hooks.';
    await expect(engine.release({ strategy, releaseId: 'r1' })).rejects.toThrow(new UsageError(message));
    await expect(engine.plan({ strategy })).rejects.toThrow(UsageError);
    expect(w.calls).toEqual([]);
    // (with a pre-release hook too: 34 steps × 6 + 1 do not fit; 25 steps × 6 + 1 do)
    w.releaseHooks = [...w.releaseHooks, fakeHook('migrate', 'pre-release')];
    await expect(engineFor(w.process('cli')).plan({ strategy: ReleaseStrategy.linear(3, 0) })).rejects.toThrow(
      'A release of 34 steps with 6 step hook(s) would record 205 hook runs (34 × 6 + 1 for its other hooks), more than the 200 a release record keeps.',
    );
    expect((await engineFor(w.process('cli')).release({ strategy: ReleaseStrategy.linear(4, 0), releaseId: 'r1' })).status).toBe('succeeded');
    expect(w.stored?.state.hooks).toHaveLength(151);
  });
});

describe('release ids', () => {
  it('a release id equal to the last release recorded is refused, nothing changed', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('migrate', 'pre-release')];
    await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r1' });
    await engineFor(w.process('cli')).rollback();
    const before = w.mutations;
    const outcome = await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r1' });
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe(
      "Release refused, nothing changed: r1 is the id of the last release of web (rolled-back); a release needs a new id (its hooks' idempotency keys are made from it).",
    );
    expect(w.mutations).toBe(before);
    expect(w.callsOf('migrate')).toHaveLength(1);
    expect((await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r2' })).status).toBe('succeeded');
  });
});
