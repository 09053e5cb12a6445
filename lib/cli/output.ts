import type { ApiCallCounter } from '../aws/api-call-counter';
import type { HookOutputLine } from '../aws/hooks/command-hook-runner';
import { isStale, Logger, ReleaseEvent, ReleaseEventType, ReleaseInProgressError } from '../release';
import { explainAwsError } from './aws-errors';
import { clockTime, humanDuration, tidyDurations } from './durations';
import { EXIT_CODES, exitCodeForError, interruptedExitCode, outcomeKind } from './exit-codes';
import { CliIo, InterruptSignal } from './io';
import { LineLogger, ProgressLogger } from './progress';
import { ReleaseTracker } from './release-tracker';

/** API calls a command made, in `--json` results. */
export interface ApiCallSummary {
  /** Every call. */
  readonly total: number;
  /** Calls that change something (not Describe, Get, List, Query, Scan). 0 for a dry run. */
  readonly mutating: number;
  readonly operations: { readonly service: string; readonly operation: string; readonly calls: number }[];
}

/** Operations that only read. */
const READ_ONLY = /^(Describe|Get|List|Query|Scan|BatchGet)/;

/** Summarize what `counter` counted. */
export function apiCallSummary(counter: ApiCallCounter): ApiCallSummary {
  const operations = counter.snapshot().map(({ service, operation, calls }) => ({ service, operation, calls }));
  const mutating = operations.filter((o) => !READ_ONLY.test(o.operation)).reduce((n, o) => n + o.calls, 0);
  return { total: counter.count(), mutating, operations };
}

/**
 * The final object of a command. `status`, `exitCode` and `message` always; `next` (commands to run next, with the
 * service name) when there is something to do; the rest as the command has them.
 */
export interface CommandResult {
  readonly status: string;
  readonly exitCode: number;
  readonly message: string;
  readonly next?: readonly string[];
  readonly [field: string]: unknown;
}

/** `command` and `service` fields of JSON results, and the profile that AWS errors name. */
export interface OutputHeader {
  readonly command?: string;
  readonly service?: string;
  /** `--profile` or `AWS_PROFILE`, for the messages of credential errors. */
  readonly profile?: string;
}

/**
 * Everything a command prints. Text mode: events as lines (a progress line per step on a terminal), the result's
 * message last (stdout when it succeeded, stderr otherwise), warnings on stderr. `--json` mode: stdout carries
 * only JSON lines (`{"kind":"event",...}` per event, then one `{"kind":"result",...}` or `{"kind":"status",...}`);
 * stderr still gets warnings and the one-line message of a failure, for the human watching the pipeline.
 *
 * The result is printed once: after it, nothing else is (a signal's result included).
 */
export class Output {
  /** Warnings so far, repeated in the JSON result. */
  public readonly warnings: string[] = [];
  /** The Region the command's clients use, once known: AWS error messages name it. */
  public region?: string;
  /**
   * What to print when a signal stops the command, for commands that are not engine commands (`wait`,
   * `status --watch`). Without it, the result says where the release stands from the engine's events.
   */
  public onInterrupt?: (signal: InterruptSignal) => CommandResult;
  private readonly text?: LineLogger | ProgressLogger;
  private readonly tracker = new ReleaseTracker();
  /** The message of the last event, so a result that repeats it is not printed twice. */
  private lastEvent?: string;
  /** The exit code of the result, once printed. */
  private finished?: number;
  /** A promotion taking over a release, which the engine numbers as a step of its own: shown as the plan's last. */
  private promotion?: { readonly steps: number };
  /** The release about to start, for its duration and ETA. */
  private expected?: { readonly steps: number; readonly bakeMs: number; readonly pauses: number };

  constructor(
    private readonly io: CliIo,
    private readonly json: boolean,
    private readonly header: OutputHeader = {},
  ) {
    if (!json) this.text = io.isTTY ? new ProgressLogger(io.stdout, { now: io.clock ? () => io.clock!.now() : undefined }) : new LineLogger(io.stdout);
  }

  /** Where engine events go. */
  public get logger(): Logger {
    return { event: (e) => this.event(e) };
  }

  /** Whether the final result was printed. */
  public get done(): boolean {
    return this.finished !== undefined;
  }

  /** A line of human output (text mode only). */
  public line(text: string): void {
    if (this.json || this.done) return;
    this.closeProgress();
    this.io.stdout.write(`${text}\n`);
  }

  /** A JSON line of `kind` (JSON mode only): `status` snapshots, `progress` of `wait`. */
  public jsonLine(kind: string, value: object): void {
    if (!this.json || this.done) return;
    this.writeJson({ kind, ...value });
  }

  /** A warning: stderr in both modes, and in the JSON result. */
  public warn(message: string): void {
    const line = tidyDurations(oneLine(message));
    this.warnings.push(line);
    this.closeProgress();
    this.io.stderr.write(`bluegreen: warning: ${line}\n`);
  }

  /**
   * The release about to start takes `steps` bakes of `bakeMs` (and waits for approval `pauses` times): its start
   * says how long, and when it ends.
   */
  public expectRelease(steps: number, bakeMs: number, pauses = 0): void {
    this.expected = { steps, bakeMs, pauses };
  }

  /**
   * A line a command hook wrote, as it comes: `  [cmd-pre-release] <line>` (above a step's progress line on a
   * terminal); with `--json`, an event `{"type":"hook-output","hook":...,"stream":...,"line":...}`.
   */
  public hookOutput(o: HookOutputLine): void {
    if (this.done) return;
    const at = Date.now();
    if (this.json) {
      this.writeJson({ kind: 'event', type: HOOK_OUTPUT, message: `[${o.hook}] ${o.line}`, at: new Date(at).toISOString(), hook: o.hook, stream: o.stream, line: o.line });
      return;
    }
    this.text?.above(`  [${o.hook}] ${o.line}`);
  }

  /** Print the result and return its exit code. Only the first result is printed. */
  public result(result: CommandResult): number {
    if (this.finished !== undefined) return this.finished;
    this.finished = result.exitCode;
    this.closeProgress();
    const message = tidyDurations(oneLine(result.message));
    const next = result.next?.length ? `Next: ${result.next.join(', or ')}` : undefined;
    if (this.json) {
      const { status, exitCode, message: _m, next: _n, ...rest } = result;
      const { profile: _p, ...names } = this.header;
      this.writeJson({
        kind: 'result',
        ...names,
        status,
        exitCode,
        outcome: outcomeKind(exitCode),
        message,
        ...(result.next ? { next: result.next } : {}),
        ...rest,
        warnings: this.warnings,
      });
      if (exitCode !== 0) this.io.stderr.write(`bluegreen: ${message}\n${next ? `${next}\n` : ''}`);
      return exitCode;
    }
    const ok = result.exitCode === 0;
    const stream = ok ? this.io.stdout : this.io.stderr;
    // An event just said it: on a terminal once is enough; in a log, a failure is repeated on stderr.
    const said = message === this.lastEvent && (ok || this.io.isTTY);
    if (!said) stream.write(ok ? `${message}\n` : `bluegreen: ${message}\n`);
    if (next) stream.write(`${next}\n`);
    return result.exitCode;
  }

  /** The `status` object (JSON mode). */
  public statusObject(status: object): void {
    if (this.done) return;
    this.writeJson({ kind: 'status', ...status, warnings: this.warnings.concat((status as { warnings?: string[] }).warnings ?? []) });
  }

  /**
   * Report a thrown error in one line and return its exit code: 2 for bad input (a `UsageError`, an unknown
   * service), 3 for another release in the way, 5 for AWS (with the fix, `aws-errors.ts`), 6 for anything else.
   * Stack traces only with `BLUEGREEN_DEBUG=1`.
   */
  public error(e: unknown): number {
    if (this.finished !== undefined) return this.finished;
    const exitCode = exitCodeForError(e);
    const explained = explainAwsError(e, { profile: this.header.profile, region: this.region, env: this.io.env });
    const message = explained?.message ?? (e instanceof Error ? e.message : String(e));
    const name = e instanceof Error ? e.name : 'Error';
    const inTheWay = e instanceof ReleaseInProgressError;
    // An error part way through a change: say what to run to finish or undo it.
    const after = this.tracker.nextAfterError(this.header.command ?? 'command', this.header.service ?? '<service>');
    const code = this.result({
      status: inTheWay ? 'refused' : 'error',
      exitCode,
      message,
      error: name,
      ...(explained ? { problem: explained.problem } : {}),
      ...(after.length ? { next: [`bluegreen status ${this.header.service}`, ...after] } : {}),
      ...(inTheWay ? { releaseId: e.state.releaseId, state: e.state, next: this.inTheWay(e) } : {}),
    });
    if (this.io.env.BLUEGREEN_DEBUG === '1' && e instanceof Error && e.stack) this.io.stderr.write(`${e.stack}\n`);
    return code;
  }

  /**
   * A signal stopped the command: print the final result (where the release stands, what to run next) and return
   * the exit code: "paused" (4) when a release this command drove is left in progress, else 128 + the signal.
   */
  public interrupt(signal: InterruptSignal): number {
    if (this.finished !== undefined) return this.finished;
    if (this.io.isTTY && !this.json) this.io.stdout.write('\n');
    const custom = this.onInterrupt?.(signal);
    if (custom) return this.result({ signal, ...custom });
    const report = this.tracker.interrupted(signal, this.header.command ?? 'command', this.header.service ?? '<service>');
    const { leftInProgress, message, next, ...where } = report;
    return this.result({
      status: 'interrupted',
      exitCode: leftInProgress ? EXIT_CODES.paused : interruptedExitCode(signal),
      signal,
      message,
      next,
      ...where,
    });
  }

  private inTheWay(e: ReleaseInProgressError): string[] {
    const service = e.state.service;
    if (isStale(e.state, Date.now())) return [`bluegreen resume ${service}`, `bluegreen rollback ${service}`];
    // The engine offers a take-over when it has one for this holder.
    const takeOver = /resume --take-over/.test(e.message) ? [`bluegreen resume ${service} --take-over`] : [];
    return [`bluegreen wait ${service}`, `bluegreen status ${service} --watch`, `bluegreen abort ${service}`, ...takeOver];
  }

  private event(raw: ReleaseEvent): void {
    if (this.done) return;
    const e = this.numberPromotion(raw);
    this.tracker.event(e);
    const message = tidyDurations(e.message);
    this.lastEvent = message;
    const started = e.type === ReleaseEventType.RELEASE_STARTED && this.expected;
    const durationMs = this.expected ? this.expected.steps * this.expected.bakeMs : 0;
    if (this.json) {
      const eta = started ? { expectedDurationMs: durationMs, eta: new Date(e.at + durationMs).toISOString() } : {};
      this.writeJson({ kind: 'event', ...e, message, at: new Date(e.at).toISOString(), ...eta });
      return;
    }
    this.text?.event(e);
    if (started && this.expected) {
      const { steps, bakeMs, pauses } = this.expected;
      const how = steps === 1 ? `1 step baking ${humanDuration(bakeMs)}` : `${steps} steps, each baking ${humanDuration(bakeMs)}`;
      const waits = pauses === 0 ? '' : ` plus the wait for approval at ${pauses === 1 ? 'the pause' : `${pauses} pauses`}`;
      this.closeProgress();
      this.io.stdout.write(
        `${clockTime(e.at)} Takes about ${humanDuration(durationMs)} (${how})${waits}; ETA ${clockTime(e.at + durationMs)}${waits ? ' without them' : ''}. ` +
          `Follow it from elsewhere: bluegreen status ${this.header.service} --watch\n`,
      );
    }
  }

  /**
   * `promote` of a release in progress makes the remaining steps one step to 100 %, which the engine numbers
   * `Step 2/2` after `Promoting green from step 1/3`. Shown as the plan's last step (`Step 3/3`), so the numbers agree.
   */
  private numberPromotion(e: ReleaseEvent): ReleaseEvent {
    if (e.type === ReleaseEventType.PROMOTION_STARTED) {
      const planned = /from (?:before )?step \d+\/(\d+)/.exec(e.message);
      this.promotion = planned ? { steps: Number(planned[1]) } : undefined;
      return e;
    }
    const p = this.promotion;
    if (!p || e.step === undefined || e.steps === undefined || e.steps === p.steps) return e;
    return { ...e, step: p.steps, steps: p.steps, message: e.message.replace(/\b(step) \d+\/\d+/gi, `$1 ${p.steps}/${p.steps}`) };
  }

  private writeJson(value: object): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  private closeProgress(): void {
    this.text?.close();
  }
}

/** The `type` of the events that carry a command hook's output lines (not an engine event). */
export const HOOK_OUTPUT = 'hook-output';

/** Errors from AWS can span lines; the CLI promises one. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}
