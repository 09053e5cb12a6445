import type { Command, FlagSpec, FlagSpecs } from './command';
import { EXIT_CODE_HELP } from './exit-codes';
import { GLOBAL_FLAGS } from './global-flags';
import { COMMANDS } from './registry';

/** `bluegreen --help`. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'bluegreen: release blue/green services built with cdk-bluegreen',
    '',
    'Usage: bluegreen <command> <service> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Global flags may also come before the command: bluegreen --json status web.',
    'bluegreen --version prints the version.',
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP,
    '',
    "Run 'bluegreen <command> --help' for a command's flags; docs/RELEASING.md has the exit codes and the runbooks.",
    '',
  ].join('\n');
}

/** `bluegreen <command> --help`. */
export function commandHelp(command: Command<unknown>): string {
  const usage = command.usage ?? [`bluegreen ${command.name}${command.actions ? ` <${command.actions.join('|')}>` : ''} <service> [flags]`];
  return [
    ...usage.map((u, i) => `${i === 0 ? 'Usage: ' : '       '}${u}`),
    '',
    command.summary,
    '',
    ...(Object.keys(command.flags).length ? ['Flags:', ...flagLines(command.flags), ''] : []),
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    ...(command.details?.length ? [...command.details, ''] : []),
  ].join('\n');
}

function flagLines(flags: FlagSpecs): string[] {
  const label = (name: string, spec: FlagSpec) =>
    `--${name}${spec.alias ? `, --${spec.alias}` : ''}${spec.type === 'string' ? ` <${spec.example ?? 'value'}>` : ''}`;
  const width = Math.max(...Object.entries(flags).map(([n, s]) => label(n, s).length));
  return Object.entries(flags).map(([n, s]) => `  ${label(n, s).padEnd(width)}  ${s.help}`);
}
