import { AwsClients, clientRegion, createAwsClients, destroyAwsClients } from '../aws';
import { UsageError } from '../release';
import { ParsedCommand } from './args';
import { CommandContext } from './context';
import { runEngineCommand } from './engine-commands';
import { CliIo } from './io';
import { locateManifest } from './manifest-file';
import { Output } from './output';
import { runStage } from './stage-command';
import { runStatus } from './status-command';
import { runSyncManifest } from './sync-command';

/** Run a parsed command with AWS clients from the flags (or the injected ones); the exit code. */
export async function dispatch(cmd: ParsedCommand, io: CliIo, out: Output): Promise<number> {
  const clients = io.clients ?? createAwsClients({ region: cmd.region, profile: cmd.profile });
  try {
    await checkRegion(clients);
    const ctx: CommandContext = { cmd, io, out, clients, manifest: locateManifest(cmd.manifest, cmd.service, io.cwd) };
    return await run(ctx);
  } finally {
    // Open sockets would keep the process alive after the result.
    if (!io.clients) destroyAwsClients(clients);
  }
}

function run(ctx: CommandContext): Promise<number> {
  switch (ctx.cmd.command) {
    case 'status':
      return runStatus(ctx);
    case 'stage':
      return runStage(ctx);
    case 'sync-manifest':
      return runSyncManifest(ctx);
    default:
      return runEngineCommand(ctx);
  }
}

/** No Region anywhere is bad input (exit 2), found before any call. */
async function checkRegion(clients: AwsClients): Promise<void> {
  try {
    await clientRegion(clients);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
