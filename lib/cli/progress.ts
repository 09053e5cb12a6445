import { Logger, ReleaseEvent, ReleaseEventType, Weights } from '../release';
import { CliOutput } from './io';

/** Events that belong on a step's progress line; any other event ends the line and gets its own. */
const STEP_LINE_EVENTS: ReadonlySet<string> = new Set([
  ReleaseEventType.STEP_STARTED,
  ReleaseEventType.WEIGHTS_SET,
  ReleaseEventType.WEIGHTS_LAGGING,
  ReleaseEventType.WEIGHTS_VERIFIED,
  ReleaseEventType.GATE_PASSED,
  ReleaseEventType.STEP_COMPLETED,
]);

const BAR_WIDTH = 20;

/** `12:00:01Z`: UTC, so lines from a pipeline and a laptop compare. */
export function clockTime(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)}Z`;
}

/** One line per event, for logs and pipes. */
export class LineLogger implements Logger {
  constructor(private readonly out: CliOutput) {}

  public event(e: ReleaseEvent): void {
    this.out.write(`${clockTime(e.at)} ${e.message}\n`);
  }
}

/**
 * On a terminal: one line per step, rewritten in place as the step sets, verifies and bakes, e.g.
 * `step 2/4  blue 75 % [###############=====] green 25 %  baked 30s of 2m`; other events on lines of their own.
 */
export class ProgressLogger implements Logger {
  private open = false;
  private weights?: Weights;

  constructor(private readonly out: CliOutput) {}

  public event(e: ReleaseEvent): void {
    if (e.step !== undefined && e.steps !== undefined && STEP_LINE_EVENTS.has(e.type)) {
      if (e.weights && e.type !== ReleaseEventType.WEIGHTS_LAGGING) this.weights = e.weights;
      this.out.write(`\r\x1b[2K${stepLine(e.step, e.steps, this.weights, detail(e))}`);
      this.open = true;
      if (e.type === ReleaseEventType.STEP_COMPLETED) this.close();
      return;
    }
    this.close();
    this.out.write(`${clockTime(e.at)} ${e.message}\n`);
  }

  /** End the progress line, if one is open, so the next output starts on a line of its own. */
  public close(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}

/** The progress line of a step. */
export function stepLine(step: number, steps: number, weights: Weights | undefined, what: string): string {
  const head = `step ${step}/${steps}`;
  if (!weights) return `${head}  ${what}`;
  const total = weights.blue + weights.green || 1;
  const blue = Math.round((weights.blue / total) * BAR_WIDTH);
  const bar = '#'.repeat(blue) + '='.repeat(BAR_WIDTH - blue);
  return `${head}  blue ${weights.blue} % [${bar}] green ${weights.green} %  ${what}`;
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
      return colon >= 0 ? e.message.slice(colon + 2) : e.message;
    }
  }
}
