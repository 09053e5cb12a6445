import type { AwsClients } from '../aws/clients';
import type { DnsResolve } from '../aws/dr/dns-resolve';
import type { DrProbeOverride } from '../aws/dr/create-dr-ports';
import type { WebhookHookRunnerOptions } from '../aws/hooks/webhook-hook-runner';
import type { ServiceDescriptor } from '../contract';
import type { FeatureFlagPorts } from '../release/feature-flags/ports';
import type { DrAccessFactory } from './dr-access';

/** Where the CLI writes: `process.stdout` / `process.stderr`, or a buffer in tests. */
export interface CliOutput {
  write(text: string): unknown;
}

/** The signals after which the CLI prints a final result. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** How the CLI learns that its process is asked to stop (bin/bluegreen.ts: SIGINT and SIGTERM). */
export interface Interrupts {
  /**
   * Call `handler` when the process is asked to stop, instead of the default; it prints the final result and returns
   * the exit code, with which the process then exits at once. A later call replaces the handler.
   */
  handle(handler: (signal: InterruptSignal) => number): void;
}

/** Everything the CLI takes from its process, so tests can run it in-process. */
export interface CliIo {
  /** Results, events and `--json` lines. */
  readonly stdout: CliOutput;
  /** Errors, warnings and the message of a command that did not succeed. */
  readonly stderr: CliOutput;
  /** Whether stdout is a terminal: then a release shows one updating progress line per step. */
  readonly isTTY: boolean;
  /**
   * Width of the terminal, for views redrawn in place (`status --watch`).
   *
   * @default 100
   */
  readonly columns?: number;
  /** Environment (`BLUEGREEN_DEBUG=1` prints stack traces). The AWS SDK reads `process.env` itself. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory the default manifest path `releases/<service>.json` is relative to. */
  readonly cwd: string;
  /**
   * AWS clients to use instead of creating them from the flags and environment (tests, to count API calls).
   * The CLI does not destroy clients it was given.
   *
   * @default - created from --region / --profile and the environment, destroyed at exit
   */
  readonly clients?: AwsClients;
  /**
   * Asks a person a yes/no question on the terminal (`promote --colour` with no release running). Absent when no one
   * can answer (stdin is not a terminal): such commands then need `--yes`.
   *
   * @default - no one to ask
   */
  readonly confirm?: (question: string) => Promise<boolean>;
  /**
   * SIGINT and SIGTERM, so that an interrupted command prints where the release stands.
   *
   * @default - none (in-process callers stop the CLI their own way)
   */
  readonly interrupts?: Interrupts;
  /**
   * Time, for the views that wait (`status --watch`, `wait`): tests drive it.
   *
   * @default - the system clock
   */
  readonly clock?: { now(): number; sleep(ms: number): Promise<void> };
  /**
   * Both Regions of a disaster-recovery pair (the `dr` commands, a staggered release, the peer's version in `status`):
   * tests give fakes of the DR engine and of each Region's ports.
   *
   * @default - the SDK adapters in each Region (dr-access.ts)
   */
  readonly drAccess?: DrAccessFactory;
  /**
   * Test seam of the real DR adapters (used only when `drAccess` is absent): how the records' names resolve and what
   * probes reach, passed to `createDrPorts`. The end-to-end tests and the bench give a resolver that computes Route
   * 53's answer from moto's state, and loopback servers standing in for the load balancers; nothing else sets it.
   *
   * @default - DNS and HTTP requests to the records
   */
  readonly drPortsOptions?: { readonly resolver?: DnsResolve; readonly probeOverride?: DrProbeOverride };
  /**
   * Test seam of the release hook runners: the CLI scenario tests serve a webhook on loopback over HTTP
   * (`webhook: { allowInsecureLoopback: true }`), which a service's hooks never may (https:// only). Nothing else
   * sets it.
   *
   * @default - the runners' defaults
   */
  readonly hookRunnerOptions?: { readonly webhook?: WebhookHookRunnerOptions };
  /**
   * The feature-flag engine's ports of a service in the descriptor's Region (`bluegreen flags`, the flags line of
   * `status`): tests give fakes (AppConfig, the monitor alarm, the record, a clock).
   *
   * @default - the SDK adapters (lib/aws/feature-flags) on the command's clients, or the other Region's for a DR pair
   */
  readonly featureFlagPorts?: (descriptor: ServiceDescriptor) => FeatureFlagPorts;
}
