import type { AwsClients } from '../aws/clients';

/** Where the CLI writes: `process.stdout` / `process.stderr`, or a buffer in tests. */
export interface CliOutput {
  write(text: string): unknown;
}

/** Everything the CLI takes from its process, so tests can run it in-process. */
export interface CliIo {
  /** Results, events and `--json` lines. */
  readonly stdout: CliOutput;
  /** Errors, warnings and the message of a command that did not succeed. */
  readonly stderr: CliOutput;
  /** Whether stdout is a terminal: then a release shows one updating progress line per step. */
  readonly isTTY: boolean;
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
}
