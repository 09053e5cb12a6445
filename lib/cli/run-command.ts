import { createAwsClients } from '../aws/clients';
import { UsageError } from '../release';
import type { ParsedCommand } from './args';
import { awsRegion } from './aws-access';
import { annotateAwsErrors, checkProfileExists } from './aws-errors';
import type { CommandContext } from './command';
import type { CliIo } from './io';
import { locateManifest } from './manifest-file';
import type { Output } from './output';

/** Run a parsed command with AWS clients from the flags (or the injected ones); the exit code. */
export async function runCommand({ command, global, options }: ParsedCommand, io: CliIo, out: Output): Promise<number> {
  if (!io.clients) useProfile(global.profile, io, out);
  // No client exists yet: each is created when a command first asks for it.
  const clients = annotateAwsErrors(io.clients ?? createAwsClients({ region: global.region, profile: global.profile }));
  try {
    out.region = await checkRegion(clients);
    const ctx: CommandContext = { global, io, out, clients, manifest: locateManifest(global.manifest, global.service, io.cwd) };
    return await command.run(ctx, options);
  } finally {
    // Open sockets would keep the process alive after the result.
    if (!io.clients) clients.destroy();
  }
}

/** No Region anywhere is bad input (exit 2), found before any call. */
async function checkRegion(clients: CommandContext['clients']): Promise<string> {
  try {
    return await awsRegion({ clients });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * A named profile (`--profile`, else `AWS_PROFILE`) must exist before any call: the SDK would only say "Could not
 * load credentials from any providers". With one in effect, keys in the environment are not used (the SDK prefers
 * the profile), and the SDK's nine-line warning about both being set becomes one line of ours.
 *
 * @throws UsageError naming the profile that does not exist
 */
function useProfile(flag: string | undefined, io: CliIo, out: Output): void {
  const profile = flag ?? io.env.AWS_PROFILE;
  if (!profile) return;
  checkProfileExists(profile, flag !== undefined ? '--profile' : 'AWS_PROFILE', io.env);
  if (process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined) {
    out.warn(`using profile '${profile}'; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are ignored (unset them, or drop the profile, to use them)`);
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
  }
}
