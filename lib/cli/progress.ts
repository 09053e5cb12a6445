import { Logger, parseDuration, ReleaseEvent, ReleaseEventType, Weights } from '../release';
import { clockTime, humanDuration, tidyDurations } from './durations';
import { CliOutput } from './io';

export { clockTime } from './durations';

/** Events that belong on a step's progress line. */
const STEP_LINE_EVENTS: ReadonlySet<string> = new Set([
  ReleaseEventType.STEP_STARTED,
  ReleaseEventType.WEIGHTS_SET,
  ReleaseEventType.WEIGHTS_LAGGING,
  ReleaseEventType.WEIGHTS_VERIFIED,
  ReleaseEventType.GATE_PASSED,
  ReleaseEventType.STEP_COMPLETED,
]);

/**
 * Events after which the step shown is over (it failed, or the release moved on). Any other event that is not about
 * the step line (an AWS retry notice, a gate that could not be read, a heartbeat that failed, an event this renderer
 * does not know) is printed above the step line, which carries on.
 */
const STEP_ENDING: ReadonlySet<string> = new Set([
  ReleaseEventType.PREFLIGHT_PASSED,
  ReleaseEventType.PREFLIGHT_FAILED,
  ReleaseEventType.RELEASE_STARTED,
  ReleaseEventType.RESUMED,
  ReleaseEventType.TAKEN_OVER,
  ReleaseEventType.WEIGHTS_MISMATCH,
  ReleaseEventType.GATE_FAILED,
  ReleaseEventType.ROLLBACK_STARTED,
  ReleaseEventType.ROLLED_BACK,
  ReleaseEventType.ABORTED,
  ReleaseEventType.ROLLBACK_FAILED,
  ReleaseEventType.WEIGHTS_CHANGED,
  ReleaseEventType.TEST_ROUTE_SET,
  ReleaseEventType.PROMOTION_STARTED,
  ReleaseEventType.PROMOTED,
  ReleaseEventType.SCALE_DOWN_SCHEDULED,
  ReleaseEventType.SCALED_DOWN,
  ReleaseEventType.PREEMPTED,
  ReleaseEventType.REFUSED,
  ReleaseEventType.AWAITING_APPROVAL,
  ReleaseEventType.APPROVED,
]);

const BAR_WIDTH = 20;

/** How often the progress line is redrawn on a terminal, between events. */
export const TICK_MS = 1_000;

/** One line per event, for logs and pipes. */
export class LineLogger implements Logger {
  constructor(private readonly out: CliOutput) {}

  public event(e: ReleaseEvent): void {
    this.out.write(`${clockTime(e.at)} ${tidyDurations(e.message)}\n`);
  }

  /** A line of its own (a command hook's output). */
  public above(text: string): void {
    this.out.write(`${text}\n`);
  }

  /** Nothing to end off a terminal. */
  public close(): void {}
}

/** What the progress line knows of the step it shows. */
interface StepView {
  readonly step: number;
  readonly steps: number;
  /** What is happening: `setting weights`, `verified`, `baked 30s of 2m`. */
  detail: string;
  /** When `detail` last changed. */
  since: number;
  /** The gate poll that `detail` shows: how much was baked, of how long, and when. */
  bake?: { readonly bakedMs: number; readonly bakeMs: number; readonly at: number };
}

/** Options of `ProgressLogger`. */
export interface ProgressOptions {
  /** Epoch ms; `Date.now` unless a test drives the clock. */
  readonly now?: () => number;
  /**
   * Redraw the line every `TICK_MS` between events (ages and the ETA move on their own).
   *
   * @default true
   */
  readonly tick?: boolean;
}

/**
 * On a terminal: one line per step, rewritten in place as the step sets, verifies and bakes, and redrawn every
 * second between events so that a quiet AWS shows as a growing age, not a frozen line, e.g.
 * `step 2/4  blue 75 % [###############=====] green 25 %  baked 30s of 2m, gate read 4s ago; ETA 12:25:03Z`.
 * Other events get lines of their own; an event the renderer does not know (an AWS retry notice) is printed above
 * the step line, which then carries on.
 */
export class ProgressLogger implements Logger {
  private open = false;
  private weights?: Weights;
  private step?: StepView;
  private timer?: ReturnType<typeof setInterval>;
  private readonly now: () => number;

  constructor(
    private readonly out: CliOutput,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  public event(e: ReleaseEvent): void {
    if (e.step !== undefined && e.steps !== undefined && STEP_LINE_EVENTS.has(e.type)) {
      if (e.weights && e.type !== ReleaseEventType.WEIGHTS_LAGGING) this.weights = e.weights;
      if (!this.step || this.step.step !== e.step || this.step.steps !== e.steps) this.step = { step: e.step, steps: e.steps, detail: '', since: e.at };
      this.step.detail = detail(e);
      this.step.since = e.at;
      const bake = e.type === ReleaseEventType.GATE_PASSED ? bakeOf(e) : undefined;
      this.step.bake = bake ? { ...bake, at: e.at } : undefined;
      this.draw();
      if (e.type === ReleaseEventType.STEP_COMPLETED) this.endStep();
      else this.startTicking();
      return;
    }
    if (!STEP_ENDING.has(e.type) && this.step) {
      // Above the step line, which carries on below it.
      this.clearLine();
      this.out.write(`${clockTime(e.at)} ${tidyDurations(e.message)}\n`);
      this.draw();
      return;
    }
    // The step is over (a gate failed, a rollback began...): its last state stays on screen.
    this.endStep();
    this.out.write(`${clockTime(e.at)} ${tidyDurations(e.message)}\n`);
  }

  /** A line of its own above the step line, which carries on below it (a command hook's output). */
  public above(text: string): void {
    this.clearLine();
    this.out.write(`${text}\n`);
    this.draw();
  }

  /** Redraw the line now (the timer calls this every second). */
  public tick(): void {
    if (this.open) this.draw();
  }

  /** End the progress line, if one is open, so the next output starts on a line of its own; stop redrawing. */
  public close(): void {
    this.stopTicking();
    if (this.open) this.out.write('\n');
    this.open = false;
  }

  private draw(): void {
    const s = this.step;
    if (!s) return;
    this.out.write(`\r\x1b[2K${stepLine(s.step, s.steps, this.weights, this.describe(s))}`);
    this.open = true;
  }

  private describe(s: StepView): string {
    const now = this.now();
    if (s.bake) {
      const { bakedMs, bakeMs, at } = s.bake;
      const age = Math.max(0, now - at);
      const eta = at + Math.max(0, bakeMs - bakedMs) + (s.steps - s.step) * bakeMs;
      return `baked ${humanDuration(bakedMs)} of ${humanDuration(bakeMs)}, gate read ${humanDuration(Math.floor(age / 1000) * 1000)} ago; ETA ${clockTime(eta)}`;
    }
    const age = now - s.since;
    return age >= 1_000 ? `${s.detail} (${humanDuration(Math.floor(age / 1000) * 1000)})` : s.detail;
  }

  /** The step is over: end its line, and stop redrawing. */
  private endStep(): void {
    this.close();
    this.step = undefined;
  }

  /** Write over the open line (an event takes its place; the step line is drawn again below it). */
  private clearLine(): void {
    if (this.open) this.out.write('\r\x1b[2K');
    this.open = false;
  }

  private startTicking(): void {
    if (this.options.tick === false || this.timer) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  private stopTicking(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The progress line of a step. */
export function stepLine(step: number, steps: number, weights: Weights | undefined, what: string): string {
  const head = `step ${step}/${steps}`;
  if (!weights) return `${head}  ${what}`;
  return `${head}  ${weightBar(weights)}  ${what}`;
}

/** `blue 75 % [###############=====] green 25 %`. */
export function weightBar(weights: Weights): string {
  const total = weights.blue + weights.green || 1;
  const blue = Math.round((weights.blue / total) * BAR_WIDTH);
  const bar = '#'.repeat(blue) + '='.repeat(BAR_WIDTH - blue);
  return `blue ${weights.blue} % [${bar}] green ${weights.green} %`;
}

/** How much of the bake a gate event says is done: its `bakedMs` and `bakeMs` when it has them, else its message. */
function bakeOf(e: ReleaseEvent): { bakedMs: number; bakeMs: number } | undefined {
  const fields = e as { readonly bakedMs?: unknown; readonly bakeMs?: unknown };
  if (typeof fields.bakedMs === 'number' && typeof fields.bakeMs === 'number') return { bakedMs: fields.bakedMs, bakeMs: fields.bakeMs };
  // `baked 30s of 2m`
  const m = /baked (\S+) of (\S+?)[,;)]?(?:\s|$)/.exec(e.message);
  if (!m) return undefined;
  try {
    return { bakedMs: parseDuration(m[1]), bakeMs: parseDuration(m[2]) };
  } catch {
    return undefined;
  }
}

function detail(e: ReleaseEvent): string {
  switch (e.type) {
    case ReleaseEventType.STEP_STARTED:
      return 'setting weights';
    case ReleaseEventType.WEIGHTS_SET:
      return 'reading back';
    case ReleaseEventType.WEIGHTS_LAGGING:
      return 'read back lagging, reading again';
    case ReleaseEventType.WEIGHTS_VERIFIED:
      return 'verified';
    case ReleaseEventType.STEP_COMPLETED:
      return 'baked, gates passed';
    default: {
      // Gate polls: "Gate passed at step 2/4 (25 %): baked 30s of 2m" -> "baked 30s of 2m".
      const colon = e.message.lastIndexOf(': ');
      return tidyDurations(colon >= 0 ? e.message.slice(colon + 2) : e.message);
    }
  }
}
