import { describeProgress, formatWeights, isStale, leaseMs, ReleaseState, ReleaseStateStore, stepWeights } from '../../release';
import { awsPorts, loadServiceDescriptor } from '../aws-access';
import { explainAwsError } from '../aws-errors';
import { withRetryNotices } from '../retry-notices';
import type { Command, CommandContext } from '../command';
import { clockTime, humanDuration } from '../durations';
import { EXIT_CODES, interruptedExitCode } from '../exit-codes';
import { durationFlag } from '../flags';
import { CommandResult } from '../output';
import { describeBake, releaseProgress } from '../release-progress';
import { REDRAW_MS, SYSTEM_CLOCK } from '../watch';

/** What `wait` was asked to do. */
export interface WaitOptions {
  /** `--timeout`: give up after this long, with the release still in progress. */
  readonly timeoutMs: number;
  /** `--interval`: between two reads of the release record. */
  readonly intervalMs: number;
}

const TIMEOUT_MS = { min: 1_000, max: 48 * 3_600_000, default: 3_600_000 };
const INTERVAL_MS = { min: 100, max: 5 * 60_000, default: 10_000 };

/**
 * `wait <service>`: block until the release in progress ends, for pipelines that did not start it (or whose job
 * watching it was replaced). Reads only the release record (one GetItem per interval). Exit 0 when it succeeded, 1
 * when it was rolled back or aborted, 3 when no release is in progress, 4 when it is still in progress at the timeout
 * or nobody drives it any more (its heartbeat is older than its lease: resume or roll it back), 8 when it waits for
 * approval (approve or roll it back).
 */
export const wait: Command<WaitOptions> = {
  name: 'wait',
  summary: 'wait for the release in progress to end: exit 0 succeeded, 1 rolled back or aborted, 3 none in progress, 4 timed out or stalled, 8 awaiting approval',
  flags: {
    timeout: { type: 'string', example: '30m', help: 'give up after this long, with exit 4 (default 1h, at most 48h)' },
    interval: { type: 'string', example: '10s', help: 'time between reads of the release record, 100ms to 5m (default 10s)' },
  },
  parse: (values) => ({
    timeoutMs: durationFlag(values, 'timeout', TIMEOUT_MS.min, TIMEOUT_MS.max) ?? TIMEOUT_MS.default,
    intervalMs: durationFlag(values, 'interval', INTERVAL_MS.min, INTERVAL_MS.max) ?? INTERVAL_MS.default,
  }),
  run: (ctx, options) =>
    withRetryNotices(ctx, async () => {
    const descriptor = await loadServiceDescriptor(ctx);
    const ports = await awsPorts(ctx, descriptor, { event: () => undefined });
    return waitForRelease(ctx, ports.state, options);
    }),
};

/** Wait for the release in `store` to end; the exit code. */
export async function waitForRelease(ctx: CommandContext, store: ReleaseStateStore, options: WaitOptions): Promise<number> {
  const { io, out, global } = ctx;
  const service = global.service;
  const clock = io.clock ?? SYSTEM_CLOCK;
  const tty = io.isTTY && !global.json;
  const started = clock.now();
  const deadline = started + options.timeoutMs;

  const first = (await store.read())?.state;
  if (first?.status !== 'in-progress') {
    const last = first ? ` (last: ${first.releaseId}, ${first.status} ${clockTime(first.updatedAt)} by ${first.owner})` : '';
    return out.result({ status: 'no-release', exitCode: EXIT_CODES.refused, message: `No release of ${service} is in progress${last}; nothing to wait for.`, state: first });
  }

  let state: ReleaseState = first;
  let line = '';
  let lastKey = '';
  let failure: unknown;
  let bakeStartedAt: number | undefined;
  const progress = (now: number) => {
    const p = releaseProgress(state, now, bakeStartedAt);
    const where = state.stepIndex < 0 ? `before step 1/${state.steps.length}` : `step ${p.step}/${p.steps} (${p.percent} %)`;
    return `${state.candidate} at ${where}, ${describeBake(p)}`;
  };
  const show = (now: number) => {
    const heartbeat = humanDuration(Math.floor(Math.max(0, now - state.updatedAt) / 1000) * 1000);
    line = `waiting for ${state.releaseId}: ${progress(now)}; driven by ${state.owner}, heartbeat ${heartbeat} ago; waited ${humanDuration(Math.floor((now - started) / 1000) * 1000)}`;
    if (tty) io.stdout.write(`\r\x1b[2K${line}`);
  };
  const finish = (result: CommandResult): number => {
    if (tty && line) io.stdout.write('\n');
    return out.result({ releaseId: state.releaseId, state, ...result });
  };
  out.onInterrupt = (signal) => ({
    status: 'interrupted',
    exitCode: interruptedExitCode(signal),
    releaseId: state.releaseId,
    message: `Stopped waiting (${signal}): release ${state.releaseId} of ${service} is still in progress at ${describeProgress(state)}; nothing changed.`,
    next: [`bluegreen wait ${service}`],
  });

  let nextRead = started;
  for (let reads = 0; ; ) {
    const now = clock.now();
    if (now >= nextRead) {
      nextRead = now + options.intervalMs;
      if (reads++ > 0) {
        try {
          const stored = (await store.read())?.state;
          if (stored) state = stored;
          failure = undefined;
        } catch (e) {
          failure = e;
          out.warn(`reading the release record of ${service} failed (${explained(ctx, e)}); trying again in ${humanDuration(options.intervalMs)}`);
        }
      }
      const key = `${state.releaseId}:${state.stepIndex}:${state.status}`;
      if (key !== lastKey) {
        bakeStartedAt = reads > 1 && state.status === 'in-progress' ? clock.now() : undefined;
        if (!tty) out.line(`${clockTime(clock.now())} ${state.status === 'in-progress' ? `${state.releaseId}: ${progress(clock.now())}, driven by ${state.owner}` : `${state.releaseId} ${state.status}`}`);
        out.jsonLine('progress', { at: new Date(clock.now()).toISOString(), releaseId: state.releaseId, status: state.status, step: state.stepIndex + 1, steps: state.steps.length, weights: stepWeights(state, state.stepIndex), owner: state.owner });
        lastKey = key;
      }
      const ended = endOf(state, service);
      if (ended) return finish(ended);
      const waiting = state.awaitingApproval;
      if (waiting) {
        // Nobody drives a release that waits for a person: waiting longer would only time out.
        return finish({
          status: 'awaiting-approval',
          exitCode: EXIT_CODES['awaiting-approval'],
          message:
            `Release ${state.releaseId} of ${service} awaits approval at ${describeProgress(state)} (${formatWeights(stepWeights(state, state.stepIndex))}) ` +
            `for ${humanDuration(Math.floor(Math.max(0, clock.now() - waiting.since) / 1000) * 1000)}: ${waiting.detail}.`,
          next: [`bluegreen approve ${service}`, `bluegreen rollback ${service}`],
        });
      }
      const now2 = clock.now();
      if (isStale(state, now2)) {
        return finish({
          status: 'stalled',
          exitCode: EXIT_CODES.paused,
          message:
            `Release ${state.releaseId} of ${service} has stalled at ${describeProgress(state)} (${formatWeights(stepWeights(state, state.stepIndex))}): ` +
            `no heartbeat from ${state.owner} for ${humanDuration(now2 - state.updatedAt)} (lease ${humanDuration(leaseMs(state))}), so nobody drives it.`,
          next: [`bluegreen resume ${service}`, `bluegreen rollback ${service}`],
        });
      }
    }
    const now3 = clock.now();
    if (now3 >= deadline) {
      if (failure !== undefined) {
        return finish({ status: 'error', exitCode: EXIT_CODES['aws-error'], message: `Gave up waiting after ${humanDuration(options.timeoutMs)}: ${explained(ctx, failure)}` });
      }
      return finish({
        status: 'timed-out',
        exitCode: EXIT_CODES.paused,
        message: `Timed out after ${humanDuration(options.timeoutMs)}: release ${state.releaseId} of ${service} is still in progress (${progress(now3)}), driven by ${state.owner}.`,
        next: [`bluegreen wait ${service}`, `bluegreen status ${service} --watch`, `bluegreen abort ${service}`],
      });
    }
    show(now3);
    const pause = Math.max(0, Math.min(nextRead, deadline) - now3);
    await clock.sleep(tty ? Math.min(REDRAW_MS, pause) : pause);
  }
}

/** The result of a release that ended, or undefined while it is in progress. */
function endOf(s: ReleaseState, service: string): CommandResult | undefined {
  const by = `${s.owner} at ${clockTime(s.updatedAt)}`;
  switch (s.status) {
    case 'succeeded': {
      const ready = s.scaleDownAt !== undefined ? `; ${s.stable} stays ready until ${new Date(s.scaleDownAt).toISOString()}` : '';
      return { status: 'succeeded', exitCode: EXIT_CODES.done, message: `Release ${s.releaseId} of ${service} succeeded: ${s.candidate} holds 100 % (promoted by ${by})${ready}.` };
    }
    case 'rolled-back':
    case 'aborted': {
      const reason = s.reason ? ` Reason: ${s.reason.replace(/\.$/, '')}.` : '';
      const how = s.status === 'aborted' ? 'was aborted' : 'was rolled back';
      return { status: s.status, exitCode: EXIT_CODES['rolled-back'], message: `Release ${s.releaseId} of ${service} ${how} by ${by}: ${s.stable} holds 100 %.${reason}` };
    }
    default:
      return undefined;
  }
}

function explained(ctx: CommandContext, e: unknown): string {
  return explainAwsError(e, { profile: ctx.global.profile, region: ctx.out.region, env: ctx.io.env })?.message ?? (e as Error).message;
}
