import { HookRunRecord } from '../../contract';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ReleaseHook, ReleaseState } from '../ports';
import { allTo, formatWeights, weightOf } from '../weights';
import { EngineContext } from './context';
import { commandFlag, EndedLedger, findRun, HookRunHeld, runHook } from './hooks';

/**
 * Run the contract (destructive) hooks of the last succeeded release, once its old colour can no longer take
 * traffic back: the record says it was put in standby (`scaledDownAt`), and its capacity (desired 0) and the
 * weights (0 % on it) agree. Before that: refused, nothing run, with when it will be allowed.
 *
 * Only the contract hooks that release recorded `deferred` run: a hook it did not defer (declared after it started,
 * a `--contract-cmd` it was not started with, or any hook after a colour was promoted by hand, which defers nothing)
 * may be a migration the old colour's code still needs, so it is not run for this release. A command hook this
 * process was given that the release did not defer refuses the whole command (it was asked for by name); a declared
 * one is skipped with a note (the next release defers it). A disaster-recovery operation in progress
 * (`ports.exclusion`) refuses it too.
 *
 * Each deferred hook not yet passed runs in declaration order (recorded in `contracts`: `running` with this process
 * as owner before the call, its verdict after, with timeout and retries); the first that does not pass stops the
 * rest. A hook another process is running (its `running` run younger than its budget) is left to it: refused. With
 * `dryRun`, says what would run and changes nothing.
 */
export async function contract(ctx: EngineContext, dryRun: boolean): Promise<ReleaseOutcome> {
  const service = ctx.opts.service;
  const hooks = (ctx.ports.hooks?.hooks ?? []).filter((h) => h.contract);
  const current = await ctx.ports.state.read();
  const s = current?.state;
  const deferredRuns = (s?.hooks ?? []).filter((r) => r.status === 'deferred');
  const again = (name: string) => (name.startsWith('cmd-') ? `pass ${commandFlag(name)} again` : 'it is no longer declared on the service');
  if (hooks.length === 0) {
    const waiting = s?.status === 'succeeded' ? deferredRuns.filter((r) => findRun(s, r.key, 'contracts')?.status !== 'passed') : [];
    if (waiting.length > 0) {
      return done(
        ctx,
        'refused',
        1,
        `Release ${s?.releaseId} deferred the contract hooks ${waiting.map((r) => `${r.hook} (${again(r.hook)})`).join(', ')}, and this process was given none of them: nothing run.`,
        s,
      );
    }
    return done(ctx, 'noop', 0, `${service} has no contract hook (a release hook declared with contract: true, or --contract-cmd): nothing to run.`, s);
  }
  if (!current || !s) return done(ctx, 'refused', 1, `${service} has no release recorded: contract hooks run after a release has succeeded and its old colour is in standby.`);
  if (s.status === 'in-progress') {
    return done(
      ctx,
      'refused',
      1,
      `Release ${s.releaseId} is in progress: contract hooks run once it has succeeded and its old colour (${s.stable}) is in standby (\`bluegreen scale-down ${service}\`), then \`bluegreen contract ${service}\`.`,
      s,
    );
  }
  if (s.status !== 'succeeded') {
    return done(
      ctx,
      'refused',
      1,
      `The last release ${s.releaseId} was ${s.status}: ${s.stable} still serves the old version, so no contract migration may run for it. Release again; contract after that release succeeds.`,
      s,
    );
  }
  // Only what this release deferred: matched by name; run at the point (and so with the key) it was deferred at.
  const deferred = new Map(deferredRuns.map((r) => [r.hook, r]));
  const notDeferred = hooks.filter((h) => !deferred.has(h.name));
  const why = (h: ReleaseHook) =>
    `${h.name} (release ${s.releaseId} did not defer it: ${h.kind === 'command' ? 'it was not started with ' + commandFlag(h.name) : 'declared after it started, or the colour was promoted by hand'})`;
  const refusedCommands = notDeferred.filter((h) => h.kind === 'command');
  if (refusedCommands.length > 0 || notDeferred.length === hooks.length) {
    return done(
      ctx,
      'refused',
      1,
      `Contract refused, nothing run: only the contract hooks a release deferred run after it, and ${notDeferred.map(why).join(', ')}. ` +
        'A contract migration runs after the release that shipped the code which no longer needs what it removes: release with it, then contract.',
      s,
    );
  }
  for (const h of notDeferred) {
    ctx.emit(ReleaseEventType.HOOK_SKIPPED, `Contract hook ${why(h)}: not run; the next release defers it`, { hook: h.name, point: h.point });
  }
  const given = new Set(hooks.map((h) => h.name));
  const absent = deferredRuns.filter((r) => !given.has(r.hook) && findRun(s, r.key, 'contracts')?.status !== 'passed');
  const skipped =
    (notDeferred.length ? ` Not run: ${notDeferred.map(why).join(', ')}; the next release defers ${notDeferred.length > 1 ? 'them' : 'it'}.` : '') +
    (absent.length ? ` Deferred but not given to this process: ${absent.map((r) => `${r.hook} (${again(r.hook)})`).join(', ')}.` : '');
  const runnable = hooks.filter((h) => deferred.has(h.name));
  const keyOf = (h: ReleaseHook) => deferred.get(h.name)!.key;
  const pending = runnable.filter((h) => findRun(s, keyOf(h), 'contracts')?.status !== 'passed');
  if (pending.length === 0) {
    return done(ctx, 'noop', 0, `The contract hooks of release ${s.releaseId} all passed already (${runnable.map((h) => h.name).join(', ')}): nothing to run.${skipped}`, s);
  }

  const refusal = await standbyRefusal(ctx, s);
  if (refusal) return done(ctx, 'refused', 1, refusal, s);
  const excluded = await ctx.ports.exclusion?.refusal();
  if (excluded !== undefined) return done(ctx, 'refused', 1, `Contract refused, nothing run: ${excluded.replace(/\.$/, '')}.`, s);
  const names = pending.map((h) => `${h.name} (${h.kind})`).join(', ');
  if (dryRun) {
    return done(ctx, 'noop', 0, `Dry run: would run the contract hooks ${names} for release ${s.releaseId}; ${s.stable} is in standby. Nothing was run.${skipped}`, s);
  }

  const ledger = new EndedLedger(ctx, s, current.version);
  const runs: HookRunRecord[] = [];
  try {
    for (const hook of pending) {
      const run = await runHook(ctx, ledger, hook, { point: deferred.get(hook.name)!.point, weights: allTo(s.candidate) }, 'contracts');
      runs.push(run);
      if (run.status !== 'passed') {
        const said = run.detail ? `: ${run.detail}` : '';
        const rest = pending.slice(runs.length).map((h) => h.name);
        const message =
          `Contract hook ${hook.name} of release ${s.releaseId} ${run.status === 'inconclusive' ? 'was inconclusive' : 'failed'}${said}` +
          `${rest.length ? `; not run: ${rest.join(', ')}` : ''}. Fix it and run \`bluegreen contract ${service}\` again (hooks that passed are not run again).${skipped}`;
        return done(ctx, 'failed', 1, message, ledger.state, false);
      }
    }
  } catch (e) {
    if (e instanceof HookRunHeld) {
      const message = `Contract hook of release ${s.releaseId} not run: ${e.message}. Run \`bluegreen contract ${service}\` again once it has finished or its time has passed.`;
      return done(ctx, 'refused', 1, message, ledger.state);
    }
    const message = `The contract hooks of release ${s.releaseId} could not finish: ${(e as Error).message}. Run \`bluegreen contract ${service}\` again (hooks that passed are not run again).`;
    return done(ctx, 'failed', 1, message, ledger.state, false);
  }
  return done(ctx, 'succeeded', 0, `Contract hooks of release ${s.releaseId} passed: ${runs.map((r) => r.hook).join(', ')}.${skipped}`, ledger.state, false);
}

/**
 * Why the old colour of `s` (succeeded) may still take traffic back, or undefined once it cannot: standby
 * recorded, desired capacity 0, no weight.
 */
async function standbyRefusal(ctx: EngineContext, s: ReleaseState): Promise<string | undefined> {
  const service = ctx.opts.service;
  const then = `then \`bluegreen contract ${service}\``;
  const head = `Contract refused, nothing run: ${s.stable} (the old colour of release ${s.releaseId}) can still take traffic back`;
  if (s.scaledDownAt === undefined) {
    if (s.scaleDownAt === undefined) return `${head}, and no scale-down is scheduled: run \`bluegreen scale-down ${service} --force\`, ${then}.`;
    const at = new Date(s.scaleDownAt).toISOString();
    const left = s.scaleDownAt - ctx.now();
    return left > 0
      ? `${head} until it is in standby. Allowed after ${at} (in ${formatDuration(left)}), once \`bluegreen scale-down ${service}\` has put it in standby; ${then}.`
      : `${head}: its scale-down was due at ${at}. Run \`bluegreen scale-down ${service}\`, ${then}.`;
  }
  const [capacity, weights] = await Promise.all([ctx.ports.capacity.describe(s.stable), ctx.ports.traffic.getWeights()]);
  if (capacity.desired > 0) {
    return `${head}: its scale-down was recorded at ${new Date(s.scaledDownAt).toISOString()}, but it still has desired capacity ${capacity.desired}. Run \`bluegreen scale-down ${service} --force\`, ${then}.`;
  }
  if (weightOf(weights, s.stable) > 0) {
    return `${head}: it is in standby, but weights are ${formatWeights(weights)}. Run \`bluegreen status ${service}\` and fix the weights first.`;
  }
  return undefined;
}

function done(ctx: EngineContext, status: ReleaseOutcome['status'], exitCode: number, message: string, state?: ReleaseState, refused = true): ReleaseOutcome {
  if (refused) ctx.emit(ReleaseEventType.REFUSED, message);
  return { status, exitCode, message, releaseId: state?.releaseId, state };
}
