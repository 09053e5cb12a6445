import { hookIdempotencyKey, HookRunRecord } from '../../contract';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ReleaseHook, ReleaseState } from '../ports';
import { allTo, formatWeights, weightOf } from '../weights';
import { EngineContext } from './context';
import { EndedLedger, findRun, runHook } from './hooks';

/**
 * Run the contract (destructive) hooks of the last succeeded release, once its old colour can no longer take
 * traffic back: the record says it was put in standby (`scaledDownAt`), and its capacity (desired 0) and the
 * weights (0 % on it) agree. Before that: refused, nothing run, with when it will be allowed. Each contract hook
 * not yet passed for this release runs in declaration order (recorded in `contracts`: `running` before the call,
 * its verdict after, with timeout and retries); the first that does not pass stops the rest. With `dryRun`, says
 * what would run and changes nothing.
 */
export async function contract(ctx: EngineContext, dryRun: boolean): Promise<ReleaseOutcome> {
  const service = ctx.opts.service;
  const hooks = (ctx.ports.hooks?.hooks ?? []).filter((h) => h.contract);
  const current = await ctx.ports.state.read();
  const s = current?.state;
  if (hooks.length === 0) {
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
  const key = (h: ReleaseHook) => hookIdempotencyKey(s.releaseId, h.name, h.point);
  const pending = hooks.filter((h) => findRun(s, key(h), 'contracts')?.status !== 'passed');
  if (pending.length === 0) {
    return done(ctx, 'noop', 0, `The contract hooks of release ${s.releaseId} all passed already (${hooks.map((h) => h.name).join(', ')}): nothing to run.`, s);
  }

  const refusal = await standbyRefusal(ctx, s);
  if (refusal) return done(ctx, 'refused', 1, refusal, s);
  const names = pending.map((h) => `${h.name} (${h.kind})`).join(', ');
  if (dryRun) {
    return done(ctx, 'noop', 0, `Dry run: would run the contract hooks ${names} for release ${s.releaseId}; ${s.stable} is in standby. Nothing was run.`, s);
  }

  const ledger = new EndedLedger(ctx, s, current.version);
  const runs: HookRunRecord[] = [];
  try {
    for (const hook of pending) {
      const run = await runHook(ctx, ledger, hook, { point: hook.point, weights: allTo(s.candidate) }, 'contracts');
      runs.push(run);
      if (run.status !== 'passed') {
        const said = run.detail ? `: ${run.detail}` : '';
        const rest = pending.slice(runs.length).map((h) => h.name);
        const message =
          `Contract hook ${hook.name} of release ${s.releaseId} ${run.status === 'inconclusive' ? 'was inconclusive' : 'failed'}${said}` +
          `${rest.length ? `; not run: ${rest.join(', ')}` : ''}. Fix it and run \`bluegreen contract ${service}\` again (hooks that passed are not run again).`;
        return done(ctx, 'failed', 1, message, ledger.state, false);
      }
    }
  } catch (e) {
    const message = `The contract hooks of release ${s.releaseId} could not finish: ${(e as Error).message}. Run \`bluegreen contract ${service}\` again (hooks that passed are not run again).`;
    return done(ctx, 'failed', 1, message, ledger.state, false);
  }
  return done(ctx, 'succeeded', 0, `Contract hooks of release ${s.releaseId} passed: ${runs.map((r) => r.hook).join(', ')}.`, ledger.state, false);
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
