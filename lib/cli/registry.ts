import type { Command } from './command';
import { abort } from './commands/abort';
import { approve } from './commands/approve';
import { contract } from './commands/contract';
import { dr } from './commands/dr';
import { flags } from './commands/flags';
import { promote } from './commands/promote';
import { quarantine } from './commands/quarantine';
import { release } from './commands/release';
import { resume } from './commands/resume';
import { rollback } from './commands/rollback';
import { scaleDown } from './commands/scale-down';
import { stage } from './commands/stage';
import { status } from './commands/status';
import { syncManifest } from './commands/sync-manifest';
import { wait } from './commands/wait';

/**
 * Every command, in the order help lists them. A new command is a file in commands/ and a line here.
 *
 * Command modules import no AWS SDK at load (they reach it through aws-access.ts), so listing them here keeps
 * `bluegreen --help` free of it.
 */
export const COMMANDS: readonly Command<unknown>[] = [
  status,
  wait,
  stage,
  release,
  approve,
  resume,
  promote,
  rollback,
  abort,
  scaleDown,
  contract,
  syncManifest,
  dr,
  quarantine,
  flags,
];

/** The command called `name`, if there is one. */
export function findCommand(name: string): Command<unknown> | undefined {
  return COMMANDS.find((c) => c.name === name);
}
