import { COLOUR_NAMES, formatWeights, stepWeights } from '../release';
import { explainAwsError } from './aws-errors';
import type { CommandContext } from './command';
import { clockTime, humanDuration } from './durations';
import { EXIT_CODES } from './exit-codes';
import { bakeBar, describeBake, ReleaseProgress, setVersusRead } from './release-progress';
import { headline, progressOf, renderStatus, StatusView } from './status-view';

/** Time, as the watching views use it. */
export interface WatchClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The system clock. */
export const SYSTEM_CLOCK: WatchClock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** How often a view on a terminal is redrawn between readings (ages, bake and ETA move on their own). */
export const REDRAW_MS = 1_000;

/** One reading of AWS, made into a view; `bakeStartedAt` when the watcher saw the step begin. */
export type StatusReader = () => Promise<(bakeStartedAt?: number) => StatusView>;

/** Options of `watchStatus`. */
export interface WatchOptions {
  /** Between two readings of AWS. */
  readonly intervalMs: number;
  /** Stop after this many readings (tests); the command watches until Ctrl-C. */
  readonly readings?: number;
}

/**
 * `status --watch`: read AWS every `intervalMs` and show the service live. On a terminal, one view redrawn in place
 * every second (the release's step, the weights set against those read back, the bake and ETA, the gate's verdict,
 * healthy targets per colour, who drives the release and its heartbeat's age); off a terminal, one line per reading;
 * with `--json`, one status object per reading. A reading that fails after the first is shown and retried; Ctrl-C
 * ends the watch with exit 0.
 */
export async function watchStatus(ctx: CommandContext, read: StatusReader, options: WatchOptions): Promise<number> {
  const { io, out, global } = ctx;
  const clock = io.clock ?? SYSTEM_CLOCK;
  const tty = io.isTTY && !global.json;
  // A pseudo-terminal may report 0 columns.
  const width = io.columns && io.columns > 20 ? io.columns : 100;
  let drawn = 0;
  const draw = (lines: string[]) => {
    const cut = lines.map((l) => (l.length > width - 1 ? `${l.slice(0, width - 2)}…` : l));
    io.stdout.write(`${drawn ? `\x1b[${drawn}A\r\x1b[J` : ''}${cut.join('\n')}\n`);
    drawn = cut.length;
  };
  if (tty) io.stdout.write('\x1b[?25l');
  out.onInterrupt = () => {
    if (tty) io.stdout.write('\x1b[?25h');
    return { status: 'stopped', exitCode: EXIT_CODES.done, message: `Stopped watching ${global.service}.` };
  };

  const step = new StepClock();
  let view: StatusView | undefined;
  let failure: string | undefined;
  let readings = 0;
  let nextRead = clock.now();
  for (;;) {
    if (clock.now() >= nextRead) {
      const started = clock.now();
      nextRead = started + options.intervalMs;
      try {
        const build = await read();
        view = build();
        view = build(step.seen(view, clock.now()));
        failure = undefined;
      } catch (e) {
        if (!view) throw e;
        failure = explainAwsError(e, { profile: global.profile, region: out.region, env: io.env })?.message ?? (e as Error).message;
        if (!tty) out.warn(`reading ${global.service} failed (${failure}); trying again in ${humanDuration(options.intervalMs)}`);
      }
      readings++;
      if (!tty) {
        if (global.json && !failure) out.statusObject(view);
        else if (!failure) out.line(watchLine(view, clock.now()));
      }
    }
    if (tty && view) draw(watchFrame(view, clock.now(), options.intervalMs, failure));
    if (options.readings !== undefined && readings >= options.readings) break;
    const wait = Math.max(0, nextRead - clock.now());
    await clock.sleep(tty ? Math.min(REDRAW_MS, wait) : wait);
  }
  if (tty) io.stdout.write('\x1b[?25h');
  return out.result({ status: 'stopped', exitCode: EXIT_CODES.done, message: `Stopped watching ${global.service} after ${readings} readings.` });
}

/**
 * When the current step began, as far as a watcher saw it: the time of the first reading that showed the step,
 * unless that was the watcher's first reading (then the view estimates it from the release's start).
 */
class StepClock {
  private key?: string;
  private at?: number;
  private first = true;

  public seen(v: StatusView, now: number): number | undefined {
    const r = v.release;
    const key = r?.inProgress ? `${r.releaseId}:${r.stepIndex}` : undefined;
    if (key !== this.key) {
      this.at = this.first || key === undefined ? undefined : now;
      this.key = key;
    }
    this.first = false;
    return this.at;
  }
}

/** `v`'s progress moved on to `now` (the reading was at `v.at`): the bake grows, the ETA stays. */
function progressAt(v: StatusView, now: number): ReleaseProgress | undefined {
  const p = progressOf(v);
  if (!p || p.bakedMs === undefined) return p;
  return { ...p, bakedMs: Math.min(p.bakeMs, p.bakedMs + Math.max(0, now - Date.parse(v.at))) };
}

/** The heartbeat's age at `now`. */
function heartbeatAge(v: StatusView, now: number): string {
  const r = v.release;
  if (!r) return '';
  return humanDuration(Math.floor((r.heartbeatAgeMs + Math.max(0, now - Date.parse(v.at))) / 1000) * 1000);
}

/** The view on a terminal at `now`. */
export function watchFrame(v: StatusView, now: number, intervalMs: number, failure?: string): string[] {
  const age = humanDuration(Math.floor(Math.max(0, now - Date.parse(v.at)) / 1000) * 1000);
  const top = `${v.service} (${v.region}) · read ${clockTime(Date.parse(v.at))} (${age} ago) · every ${humanDuration(intervalMs)} · Ctrl-C to stop`;
  const lines = [top];
  if (failure) lines.push(`! last reading failed: ${failure}`);
  const r = v.release;
  const p = progressAt(v, now);
  if (!r || !p || !r.live) return [...lines, ...renderStatus(v)];
  lines.push(headlineAt(v, p));
  lines.push(`  weights   ${setVersusRead(r, v.weights)}`);
  lines.push(`  bake      ${bakeBar(p)} ${p.step > 0 ? `step ${p.step}/${p.steps}: ` : ''}${describeBake(p)}`);
  lines.push(`  gate      ${r.live.gate.detail}`);
  for (const c of COLOUR_NAMES) {
    const x = v.colours[c];
    const role = c === r.candidate ? 'candidate' : 'stable';
    const alarms = x.firingAlarms.length ? `ALARM: ${x.firingAlarms.join(', ')}` : 'no alarm firing';
    lines.push(`  ${c.padEnd(5)}     ${role.padEnd(9)} ${String(x.weight).padStart(3)} %  ${x.healthy}/${x.total} healthy, desired ${x.desired}  ${alarms}`);
  }
  const lease = r.leaseMs !== null ? ` (lease ${humanDuration(r.leaseMs)})` : '';
  if (r.awaitingApproval) lines.push(`  approval  waits for 'bluegreen approve ${v.service}' (or 'bluegreen rollback ${v.service}'); the gate alarms and the auto-rollback still guard it`);
  else lines.push(`  driver    ${r.owner}, heartbeat ${heartbeatAge(v, now)} ago${lease}${r.stale ? ', STALE' : ''}`);
  lines.push(`  release   ${r.releaseId}, started ${clockTime(Date.parse(r.startedAt))}, steps ${r.steps.join(', ')} %`);
  for (const w of v.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** The headline with the bake moved on to `now`. */
function headlineAt(v: StatusView, p: ReleaseProgress): string {
  const r = v.release;
  if (!r?.live || r.stale || r.awaitingApproval) return headline(v);
  const where = p.step > 0 ? `step ${p.step}/${p.steps} (${p.percent} %)` : `before step 1/${p.steps}`;
  return `RELEASING ${r.candidate}: ${where}, ${describeBake(p)}; gate ${r.live.gate.detail}`;
}

/** One reading off a terminal, in one line. */
export function watchLine(v: StatusView, now: number): string {
  const health = COLOUR_NAMES.map((c) => `${c} ${v.colours[c].healthy}/${v.colours[c].total} healthy`).join(', ');
  const r = v.release;
  const parts = [`${clockTime(Date.parse(v.at))} ${headline(v)}`];
  if (r?.inProgress) {
    parts.push(`weights ${formatWeights(v.weights)} (step ${r.stepIndex + 1} sets ${formatWeights(stepWeights(r, r.stepIndex))})`);
    parts.push(health);
    parts.push(`driven by ${r.owner}, heartbeat ${heartbeatAge(v, now)} ago`);
  } else {
    parts.push(`production ${formatWeights(v.weights)}`);
    parts.push(health);
    if (r) parts.push(`last release ${r.releaseId} ${r.status}`);
  }
  return parts.join('; ');
}
