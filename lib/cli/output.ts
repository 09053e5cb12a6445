import type { ApiCallCounter } from '../aws/api-call-counter';
import { UnknownServiceError } from '../aws/unknown-service-error';
import { exitCodeForError, Logger, ReleaseEvent } from '../release';
import { CliIo } from './io';
import { LineLogger, ProgressLogger } from './progress';

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

/** The final object of a command. `status`, `exitCode` and `message` always; the rest as the command has them. */
export interface CommandResult {
  readonly status: string;
  readonly exitCode: number;
  readonly message: string;
  readonly [field: string]: unknown;
}

/**
 * Everything a command prints. Text mode: events as lines (a progress line per step on a terminal), the result's
 * message last (stdout when it succeeded, stderr otherwise), warnings on stderr. `--json` mode: stdout carries
 * only JSON lines (`{"kind":"event",...}` per event, then one `{"kind":"result",...}` or `{"kind":"status",...}`);
 * stderr still gets warnings and the one-line message of a failure, for the human watching the pipeline.
 */
export class Output {
  /** Warnings so far, repeated in the JSON result. */
  public readonly warnings: string[] = [];
  private readonly text?: LineLogger | ProgressLogger;
  /** The message of the last event, so a result that repeats it is not printed twice. */
  private lastEvent?: string;

  constructor(
    private readonly io: CliIo,
    private readonly json: boolean,
    /** `command` and `service` fields of JSON results. */
    private readonly header: { readonly command?: string; readonly service?: string } = {},
  ) {
    if (!json) this.text = io.isTTY ? new ProgressLogger(io.stdout) : new LineLogger(io.stdout);
  }

  /** Where engine events go. */
  public get logger(): Logger {
    return { event: (e) => this.event(e) };
  }

  /** A line of human output (text mode only). */
  public line(text: string): void {
    if (this.json) return;
    this.closeProgress();
    this.io.stdout.write(`${text}\n`);
  }

  /** A warning: stderr in both modes, and in the JSON result. */
  public warn(message: string): void {
    const line = oneLine(message);
    this.warnings.push(line);
    this.closeProgress();
    this.io.stderr.write(`bluegreen: warning: ${line}\n`);
  }

  /** Print the result and return its exit code. */
  public result(result: CommandResult): number {
    this.closeProgress();
    const message = oneLine(result.message);
    if (this.json) {
      this.writeJson({ kind: 'result', ...this.header, ...result, message, warnings: this.warnings });
      if (result.exitCode !== 0) this.io.stderr.write(`bluegreen: ${message}\n`);
    } else if (result.exitCode === 0) {
      if (result.message !== this.lastEvent) this.io.stdout.write(`${message}\n`);
    } else {
      this.io.stderr.write(`bluegreen: ${message}\n`);
    }
    return result.exitCode;
  }

  /** The `status` object (JSON mode). */
  public statusObject(status: object): void {
    this.writeJson({ kind: 'status', ...status, warnings: this.warnings.concat((status as { warnings?: string[] }).warnings ?? []) });
  }

  /**
   * Report a thrown error in one line and return its exit code: 2 for bad input (a `UsageError`, an unknown
   * service), 1 for anything else. Stack traces only with `BLUEGREEN_DEBUG=1`.
   */
  public error(e: unknown): number {
    this.closeProgress();
    const exitCode = e instanceof UnknownServiceError ? 2 : exitCodeForError(e);
    const message = oneLine(e instanceof Error ? e.message : String(e));
    if (this.json) {
      const name = e instanceof Error ? e.name : 'Error';
      this.writeJson({ kind: 'result', ...this.header, status: 'error', exitCode, message, error: name, warnings: this.warnings });
    }
    this.io.stderr.write(`bluegreen: ${message}\n`);
    if (this.io.env.BLUEGREEN_DEBUG === '1' && e instanceof Error && e.stack) this.io.stderr.write(`${e.stack}\n`);
    return exitCode;
  }

  private event(e: ReleaseEvent): void {
    this.lastEvent = e.message;
    if (this.json) this.writeJson({ kind: 'event', ...e, at: new Date(e.at).toISOString() });
    else this.text?.event(e);
  }

  private writeJson(value: object): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  private closeProgress(): void {
    if (this.text instanceof ProgressLogger) this.text.close();
  }
}

/** Errors from AWS can span lines; the CLI promises one. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}
