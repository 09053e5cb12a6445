import { createAwsClients } from '../aws/clients';
import { UsageError } from '../release';
import type { ParsedCommand } from './args';
import { awsRegion } from './aws-access';
import type { CommandContext } from './command';
import type { CliIo } from './io';
import { locateManifest } from './manifest-file';
import type { Output } from './output';

/** Run a parsed command with AWS clients from the flags (or the injected ones); the exit code. */
export async function runCommand({ command, global, options }: ParsedCommand, io: CliIo, out: Output): Promise<number> {
  // No client exists yet: each is created when a command first asks for it.
  const clients = io.clients ?? createAwsClients({ region: global.region, profile: global.profile });
  try {
    await checkRegion(clients);
    const ctx: CommandContext = { global, io, out, clients, manifest: locateManifest(global.manifest, global.service, io.cwd) };
    return await command.run(ctx, options);
  } finally {
    // Open sockets would keep the process alive after the result.
    if (!io.clients) clients.destroy();
  }
}

/** No Region anywhere is bad input (exit 2), found before any call. */
async function checkRegion(clients: CommandContext['clients']): Promise<void> {
  try {
    await awsRegion({ clients });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
