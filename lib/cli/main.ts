import { CommandLine, parseCommandLine } from './args';
import type { CliIo } from './io';
import { Output } from './output';
import { findCommand } from './registry';
import { runCommand } from './run-command';
import { cliVersion } from './version';

/**
 * The `bluegreen` CLI: parse `argv` (without `node` and the script), run the command, return the exit code.
 *
 * Exit codes: 0 success; 1 failed, rolled back, or refused because of the service's state; 2 bad input (a flag, a
 * value, an unknown service, the live colour as a stage target), reported before anything is changed.
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
    const command = argv[0] !== undefined ? findCommand(argv[0])?.name : undefined;
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
  const out = new Output(io, global.json, { command: command.name, service: global.service });
  try {
    return await runCommand(line.parsed, io, out);
  } catch (e) {
    return out.error(e);
  }
}
