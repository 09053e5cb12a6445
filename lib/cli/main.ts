import { CommandLine, parseCommandLine } from './args';
import type { CliIo } from './io';
import { Output } from './output';
import { findCommand } from './registry';
import { runCommand } from './run-command';
import { cliVersion } from './version';

/**
 * The `bluegreen` CLI: parse `argv` (without `node` and the script), run the command, return the exit code.
 *
 * Exit codes (exit-codes.ts, docs/RELEASING.md): 0 done, 1 rolled back, 2 bad input, 3 refused before any change,
 * 4 paused (a release left in progress), 5 AWS error, 6 failed, 7 skewed, 8 awaiting approval; 130/143 interrupted with
 * nothing left in progress.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: true, env: process.env, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // Known before parsing, so that even a bad command line answers in JSON when asked to.
  const json = argv.includes('--json');
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (e) {
    const command = argv.map((a) => findCommand(a)?.name).find((name) => name !== undefined);
    return new Output(io, json, { command }).error(e);
  }
  if (line.kind === 'help') {
    io.stdout.write(line.text);
    return 0;
  }
  if (line.kind === 'version') {
    io.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  const { command, global } = line.parsed;
  const profile = global.profile ?? io.env.AWS_PROFILE;
  const out = new Output(io, global.json, { command: command.name, service: global.service, profile });
  // From here a signal prints where the release stands (output.ts) instead of ending the process silently.
  io.interrupts?.handle((signal) => out.interrupt(signal));
  try {
    return await runCommand(line.parsed, io, out);
  } catch (e) {
    return out.error(e);
  }
}
