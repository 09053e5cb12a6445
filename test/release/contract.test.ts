/**
 * The expand/contract guard: contract hooks never run during a release, and `contract()` runs them only once the
 * old colour can no longer take traffic back (in standby), saying when otherwise.
 */
import { describe, expect, it } from 'vitest';
import { ReleaseEventType, ReleaseOutcome, ReleaseStrategy } from '../../lib/release';
import { dies, engineFor, fakeHook, FakeWorld, T0 } from './fakes';

const MINUTE = 60_000;
const canary = ReleaseStrategy.canary(10, MINUTE);
const SCALE_DOWN_AT = T0 + 2 * MINUTE + 15 * MINUTE;

/** A promoted release r1 (green live, blue ready until SCALE_DOWN_AT) with two contract hooks and a release hook. */
async function promoted(): Promise<FakeWorld> {
  const w = new FakeWorld();
  w.releaseHooks = [
    fakeHook('migrate', 'pre-release'),
    fakeHook('drop-old-column', 'post-promotion', { contract: true }),
    fakeHook('drop-old-index', 'post-promotion', { contract: true, kind: 'webhook', retries: 1 }),
  ];
  const outcome = await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r1' });
  expect(outcome.status).toBe('succeeded');
  return w;
}

describe('contract hooks during a release', () => {
  it('are never run; they are recorded deferred with when they become allowed', async () => {
    const w = await promoted();
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['migrate']);
    const deferred = w.stored?.state.hooks?.filter((r) => r.status === 'deferred') ?? [];
    expect(deferred.map((r) => r.key)).toEqual(['r1:drop-old-column:post-promotion', 'r1:drop-old-index:post-promotion']);
    expect(deferred[0].detail).toBe(
      'contract migration, never run during a release: `bluegreen contract web` runs it once blue (the old colour) is in standby; ' +
        `scale-down is due at ${new Date(SCALE_DOWN_AT).toISOString()} (\`bluegreen scale-down web\`)`,
    );
  });
});

describe('contract()', () => {
  it('is refused before the old colour is in standby, nothing run, the message saying when it will be allowed', async () => {
    const w = await promoted();
    const proc = w.process('operator');
    const outcome = await engineFor(proc).contract();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1, releaseId: 'r1' });
    expect(outcome.message).toBe(
      'Contract refused, nothing run: blue (the old colour of release r1) can still take traffic back until it is in standby. ' +
        `Allowed after ${new Date(SCALE_DOWN_AT).toISOString()} (in 15m), once \`bluegreen scale-down web\` has put it in standby; then \`bluegreen contract web\`.`,
    );
    expect(w.calls.filter((c) => c.proc === 'operator' && c.mutating)).toEqual([]);
    expect(w.hookCalls.filter((c) => c.proc === 'operator')).toEqual([]);
  });

  it('is refused past scaleDownAt until scale-down has run, saying to run it', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    const outcome = await engineFor(w.process('operator')).contract();
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toBe(
      `Contract refused, nothing run: blue (the old colour of release r1) can still take traffic back: its scale-down was due at ${new Date(SCALE_DOWN_AT).toISOString()}. ` +
        'Run `bluegreen scale-down web`, then `bluegreen contract web`.',
    );
  });

  it('is refused when scale-down was recorded but the old colour still has capacity (a scale-down cut short)', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    // scale-down writes its record first, then changes the capacity: crash in between
    const scaler = w.process('scaler');
    w.crash = { at: w.mutations + 2, when: 'before' };
    await dies(scaler, engineFor(scaler).scaleDown());
    w.crash = undefined;
    const outcome = await engineFor(w.process('operator')).contract();
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('its scale-down was recorded at');
    expect(outcome.message).toContain('but it still has desired capacity 3. Run `bluegreen scale-down web --force`, then `bluegreen contract web`.');
  });

  it('runs each contract hook once the old colour is in standby, recording the runs in contracts', async () => {
    // GIVEN the old colour put in standby
    const w = await promoted();
    await w.advance(20 * MINUTE);
    expect((await engineFor(w.process('operator')).scaleDown()).status).toBe('scaled-down');
    // WHEN
    const proc = w.process('operator');
    const outcome = await engineFor(proc).contract();
    // THEN both ran, in order, with their keys and the contract flag
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0, releaseId: 'r1' });
    expect(outcome.message).toBe('Contract hooks of release r1 passed: drop-old-column, drop-old-index.');
    expect(w.hookCalls.slice(1).map((c) => [c.key, c.event.contract, c.event.weights])).toEqual([
      ['r1:drop-old-column:post-promotion', true, { blue: 0, green: 100 }],
      ['r1:drop-old-index:post-promotion', true, { blue: 0, green: 100 }],
    ]);
    expect(w.stored?.state.contracts?.map((r) => [r.hook, r.status, r.attempts])).toEqual([
      ['drop-old-column', 'passed', 1],
      ['drop-old-index', 'passed', 1],
    ]);
    expect(w.stored?.state.status).toBe('succeeded');
    expect(proc.eventTypes().filter((t) => t.startsWith('hook-'))).toEqual(['hook-started', 'hook-passed', 'hook-started', 'hook-passed']);
    // AND not again once passed
    const again = await engineFor(w.process('operator')).contract();
    expect(again.status).toBe('noop');
    expect(again.message).toBe('The contract hooks of release r1 all passed already (drop-old-column, drop-old-index): nothing to run.');
    expect(w.hookCalls).toHaveLength(3);
    expect(w.violations).toEqual([]);
  });

  it('dry run says what would run and runs nothing', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    const outcome = await engineFor(w.process('dry')).contract({ dryRun: true });
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0 });
    expect(outcome.message).toBe('Dry run: would run the contract hooks drop-old-column (lambda), drop-old-index (webhook) for release r1; blue is in standby. Nothing was run.');
    expect(w.calls.filter((c) => c.proc === 'dry' && c.mutating)).toEqual([]);
  });

  it('dry run before standby is refused with the same message', async () => {
    const w = await promoted();
    const outcome = await engineFor(w.process('dry')).contract({ dryRun: true });
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toContain('Allowed after');
  });

  it('a failed contract hook stops the rest; contract again runs the hooks that did not pass, with the same key', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    w.hookScript['drop-old-column'] = [{ verdict: 'failed', detail: 'lock timeout' }, 'passed'];
    const failed = await engineFor(w.process('operator')).contract();
    expect(failed).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(failed.message).toBe(
      'Contract hook drop-old-column of release r1 failed: lock timeout; not run: drop-old-index. Fix it and run `bluegreen contract web` again (hooks that passed are not run again).',
    );
    expect(w.callsOf('drop-old-index')).toEqual([]);
    const again = await engineFor(w.process('operator')).contract();
    expect(again.status).toBe('succeeded');
    expect(w.callsOf('drop-old-column').map((c) => c.key)).toEqual(['r1:drop-old-column:post-promotion', 'r1:drop-old-column:post-promotion']);
  });

  it('a crash during a contract hook: contract again runs it with the same key once its run is older than its budget', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    const dying = w.process('dying');
    w.beforeCall = async (proc, method) => (proc === 'dying' && method === 'hook:drop-old-column' ? ((w.crash = { at: w.mutations + 1, when: 'after' }), true) : false);
    await dies(dying, engineFor(dying).contract());
    const crashedAt = w.now;
    // The running run says who runs it, since when, and for how long it keeps others off (30 s × 1 attempt + 30 s).
    expect(w.stored?.state.contracts?.[0]).toMatchObject({ hook: 'drop-old-column', status: 'running', startedAt: crashedAt, budgetMs: 60_000 });
    expect(w.stored?.state.contracts?.[0].owner).toMatch(/^dying#/);
    // WHEN contract runs again at once: the run may still be alive, so it is left to its owner
    const early = await engineFor(w.process('operator')).contract();
    expect(early).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(early.message).toMatch(/^Contract hook of release r1 not run: post-promotion hook drop-old-column is being run by dying#\w+ \(since /);
    expect(early.message).toContain(`presumed dead after ${new Date(crashedAt + 60_000).toISOString()}`);
    expect(w.callsOf('drop-old-column').map((c) => c.proc)).toEqual(['dying']);
    // WHEN after its budget
    await w.advance(60_000);
    const outcome = await engineFor(w.process('operator')).contract();
    expect(outcome.status).toBe('succeeded');
    expect(w.callsOf('drop-old-column').map((c) => [c.proc, c.key])).toEqual([
      ['dying', 'r1:drop-old-column:post-promotion'],
      ['operator', 'r1:drop-old-column:post-promotion'],
    ]);
    expect(w.violations).toEqual([]);
  });

  it('two contract() at once: the hook runs once; the second leaves it to the first', async () => {
    // GIVEN r1 promoted and its old colour in standby
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    // WHEN terminal B runs contract while terminal A is calling the first hook (its run recorded running)
    let second: Promise<ReleaseOutcome> | undefined;
    w.beforeCall = async (proc, method) => {
      if (proc !== 'A' || method !== 'hook:drop-old-column') return false;
      second = engineFor(w.process('B')).contract();
      await second;
      return true;
    };
    const first = await engineFor(w.process('A')).contract();
    // THEN A ran both hooks, B ran none and said why
    expect(first.status).toBe('succeeded');
    const b = await second!;
    expect(b).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(b.message).toMatch(/post-promotion hook drop-old-column is being run by A#\w+/);
    expect(w.hookCalls.slice(1).map((c) => `${c.proc}:${c.hook}`)).toEqual(['A:drop-old-column', 'A:drop-old-index']);
    expect(w.violations).toEqual([]);
  });

  it('two contract() that read the record at once: the one whose running write conflicts re-reads and gives up', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    // B reads the record, then A runs the whole contract before B writes its running run
    let bRead = false;
    w.beforeCall = async (proc, method) => {
      if (proc === 'B' && method === 'state.write' && !bRead) {
        bRead = true;
        await engineFor(w.process('A')).contract();
      }
      return false;
    };
    const b = await engineFor(w.process('B')).contract();
    expect(b.status).toBe('refused');
    expect(b.message).toContain('post-promotion hook drop-old-column was run meanwhile by another process (passed): left to it');
    expect(w.hookCalls.slice(1).map((c) => `${c.proc}:${c.hook}`)).toEqual(['A:drop-old-column', 'A:drop-old-index']);
    expect(w.violations).toEqual([]);
  });

  it('is a no-op without contract hooks', async () => {
    const w = new FakeWorld();
    const outcome = await engineFor(w.process('operator')).contract();
    expect(outcome).toMatchObject({ status: 'noop', exitCode: 0 });
    expect(outcome.message).toContain('web has no contract hook');
  });

  it('is refused while a release is in progress, and after a rolled-back release', async () => {
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('drop', 'post-promotion', { contract: true })];
    const driver = w.process('driver');
    w.at(T0 + 30_000, async () => void (driver.dead = true));
    await dies(driver, engineFor(driver).release({ strategy: canary, releaseId: 'r1' }));
    const during = await engineFor(w.process('operator')).contract();
    expect(during.status).toBe('refused');
    expect(during.message).toContain('Release r1 is in progress: contract hooks run once it has succeeded');
    await engineFor(w.process('operator')).rollback();
    const after = await engineFor(w.process('operator')).contract();
    expect(after.status).toBe('refused');
    expect(after.message).toBe('The last release r1 was rolled-back: blue still serves the old version, so no contract migration may run for it. Release again; contract after that release succeeds.');
    expect(w.callsOf('drop')).toEqual([]);
  });

  it('a command contract hook the release was given is deferred, and contract() with it runs it', async () => {
    // GIVEN a release started with --contract-cmd (the CLI passes it to release as a contract command hook)
    const w = new FakeWorld();
    const cmd = fakeHook('cmd-contract', 'post-promotion', { kind: 'command', contract: true });
    expect((await engineFor(w.process('cli').withHooks([cmd])).release({ strategy: canary, releaseId: 'r1' })).status).toBe('succeeded');
    expect(w.stored?.state.hooks?.map((r) => [r.hook, r.kind, r.status])).toEqual([['cmd-contract', 'command', 'deferred']]);
    // (a contract command hook is not a command the release itself needs: resume does not ask for it)
    expect(w.stored?.state.commandHooks).toBeUndefined();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    // WHEN contract is run without it: refused, naming the flag
    const without = await engineFor(w.process('operator')).contract();
    expect(without.status).toBe('refused');
    expect(without.message).toBe('Release r1 deferred the contract hooks cmd-contract (pass --contract-cmd again), and this process was given none of them: nothing run.');
    // WHEN with it
    const outcome = await engineFor(w.process('cli').withHooks([cmd])).contract();
    expect(outcome.status).toBe('succeeded');
    expect(w.stored?.state.contracts?.map((r) => [r.key, r.kind, r.status])).toEqual([['r1:cmd-contract:post-promotion', 'command', 'passed']]);
  });

  it('a command contract hook the release did not defer is refused, nothing run', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    const cmd = fakeHook('cmd-contract', 'post-promotion', { kind: 'command', contract: true });
    const outcome = await engineFor(w.process('terminal').withHooks([...w.releaseHooks!, cmd])).contract();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe(
      'Contract refused, nothing run: only the contract hooks a release deferred run after it, and cmd-contract (release r1 did not defer it: it was not started with --contract-cmd). ' +
        'A contract migration runs after the release that shipped the code which no longer needs what it removes: release with it, then contract.',
    );
    expect(w.hookCalls.filter((c) => c.proc === 'terminal')).toEqual([]);
    expect(w.stored?.state.contracts).toBeUndefined();
  });

  it('after a colour was promoted by hand, no contract hook runs: that promotion deferred none', async () => {
    // GIVEN r1 released green (which no longer reads the column) and blue went to standby
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('drop-name', 'post-promotion', { contract: true })];
    expect((await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r1' })).status).toBe('succeeded');
    await w.advance(30 * MINUTE);
    expect((await engineFor(w.process('op')).scaleDown()).status).toBe('scaled-down');
    // AND the operator brings blue (the old version, which still reads it) back and promotes it by hand
    w.setMode('blue', 'ready');
    expect((await engineFor(w.process('op')).promote({ colour: 'blue' })).status).toBe('succeeded');
    await w.advance(30 * MINUTE);
    expect((await engineFor(w.process('op')).scaleDown()).status).toBe('scaled-down');
    // WHEN
    const outcome = await engineFor(w.process('op')).contract();
    // THEN refused: blue serves and its code may still need the column
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toMatch(/^Contract refused, nothing run: only the contract hooks a release deferred run after it, and drop-name \(release \S+ did not defer it: declared after it started, or the colour was promoted by hand\)/);
    expect(w.callsOf('drop-name')).toEqual([]);
    expect(w.weights).toEqual({ blue: 100, green: 0 });
  });

  it('a contract hook declared after the release started is not run for it; the deferred ones are', async () => {
    // GIVEN r0 released with one contract hook; another is declared afterwards
    const w = new FakeWorld();
    w.releaseHooks = [fakeHook('drop-a', 'post-promotion', { contract: true })];
    await engineFor(w.process('cli')).release({ strategy: canary, releaseId: 'r0' });
    await w.advance(30 * MINUTE);
    await engineFor(w.process('op')).scaleDown();
    w.releaseHooks = [fakeHook('drop-a', 'post-promotion', { contract: true }), fakeHook('drop-b', 'post-promotion', { contract: true })];
    // WHEN
    const proc = w.process('op');
    const outcome = await engineFor(proc).contract();
    // THEN drop-a ran; drop-b did not, and the message and a hook-skipped event say why
    expect(outcome.status).toBe('succeeded');
    expect(outcome.message).toBe(
      'Contract hooks of release r0 passed: drop-a. Not run: drop-b (release r0 did not defer it: declared after it started, or the colour was promoted by hand); the next release defers it.',
    );
    expect(w.hookCalls.map((c) => c.hook)).toEqual(['drop-a']);
    expect(proc.events.filter((e) => e.type === ReleaseEventType.HOOK_SKIPPED).map((e) => e.hook)).toEqual(['drop-b']);
    // AND with only undeferred hooks it is refused
    w.releaseHooks = [fakeHook('drop-b', 'post-promotion', { contract: true })];
    const only = await engineFor(w.process('op')).contract();
    expect(only.status).toBe('refused');
    expect(only.message).toContain('drop-b (release r0 did not defer it');
  });

  it('is refused during a disaster-recovery operation (ports.exclusion)', async () => {
    const w = await promoted();
    await w.advance(20 * MINUTE);
    await engineFor(w.process('operator')).scaleDown();
    const proc = w.process('operator');
    Object.assign(proc.ports, { exclusion: { refusal: async () => "the DR record of web is failing-over: see 'bluegreen dr status web'." } });
    const outcome = await engineFor(proc).contract();
    expect(outcome).toMatchObject({ status: 'refused', exitCode: 1 });
    expect(outcome.message).toBe("Contract refused, nothing run: the DR record of web is failing-over: see 'bluegreen dr status web'.");
    expect(w.hookCalls.filter((c) => c.proc === 'operator')).toEqual([]);
  });
});
