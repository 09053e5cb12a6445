/**
 * The CLI's door into lib/aws. Each function imports its adapter module when first called (`await import()`), and
 * with it the SDK clients that adapter uses: `bluegreen --help`, `--version` and bad input load no SDK at all, and
 * each command loads only the clients it calls (a rollback: SSM, ELBv2, DynamoDB). In the bundle every such module
 * is a chunk of its own (scripts/bundle-cli.mjs).
 *
 * The rest of the CLI imports from lib/aws only types and the modules that load no SDK (clients.ts,
 * api-call-counter.ts, unknown-service-error.ts). The modules imported here are ours, never an SDK package: in the
 * ES module bundle, `import()` of a CommonJS package yields only its default export.
 */
import type { RetentionResult } from '../aws/ami-retention';
import type { HookOutputLine } from '../aws/hooks/command-hook-runner';
import type { AwsClients } from '../aws/clients';
import type { ServiceDescriptor } from '../contract';
import type { Logger, ReleaseHooks, ReleasePorts } from '../release';
import type { FeatureFlagPorts } from '../release/feature-flags/ports';
import type { QuarantineController } from '../release/quarantine/controller';
import type { CommandContext } from './command';
import type { HookFlags } from './hook-flags';

/**
 * The Region the clients resolve (SSM's client, which every command creates for the descriptor anyway).
 *
 * @throws when none is configured, with the fix
 */
export async function awsRegion(ctx: Pick<CommandContext, 'clients'>): Promise<string> {
  const { clientRegion } = await import('../aws/region');
  return clientRegion(ctx.clients);
}

/** The service's descriptor from SSM (one GetParameter call). */
export async function loadServiceDescriptor(ctx: CommandContext): Promise<ServiceDescriptor> {
  const { loadDescriptor } = await import('../aws/descriptor');
  return loadDescriptor(ctx.global.service, ctx.clients);
}

/** The release engine's ports on the service's resources; alarms and capacity load on their first call. */
export async function awsPorts(ctx: CommandContext, descriptor: ServiceDescriptor, logger: Logger): Promise<ReleasePorts> {
  const { createAwsPorts } = await import('../aws/create-aws-ports');
  return createAwsPorts(descriptor, ctx.clients, logger);
}

/** Whether an `ami-` or `ssm:` image exists in the Region (EC2 only for an AMI). */
export async function imageExists(ctx: CommandContext, image: string): Promise<boolean> {
  const { imageExists: exists } = await import('../aws/image-exists');
  return exists(image, ctx.clients);
}

/** Tag the AMIs the colours run to keep them from the image lifecycle policy (EC2). */
export async function retainColourImages(ctx: CommandContext, descriptor: ServiceDescriptor): Promise<RetentionResult> {
  const { retainColourImages: retain } = await import('../aws/ami-retention');
  return retain(descriptor, ctx.clients);
}

/**
 * The quarantine controller on the service's resources (lib/aws/quarantine). Loads only DynamoDB's adapter here;
 * EC2's and Auto Scaling's load when `terminate` or `extend` first calls them.
 *
 * @throws QuarantineNotConfiguredError when the descriptor has no `healing.quarantine` (check before calling)
 */
export async function quarantineController(ctx: CommandContext, descriptor: ServiceDescriptor): Promise<QuarantineController> {
  const [{ createQuarantinePorts, quarantinePolicy }, { QuarantineController: Controller }] = await Promise.all([
    import('../aws/quarantine/create-quarantine-ports'),
    import('../release/quarantine/controller'),
  ]);
  return new Controller(createQuarantinePorts(ctx.clients, descriptor), quarantinePolicy(descriptor));
}

/**
 * The service's release hooks (those its descriptor declares: Lambda functions, webhooks) and the local commands
 * the command was given, with their runners (lib/aws/hooks). The Lambda client loads on the first Lambda hook.
 *
 * @throws when a declared hook has the name of a command hook (`cmd-<point>`)
 */
export async function releaseHooks(ctx: CommandContext, descriptor: ServiceDescriptor, flags: HookFlags | undefined, onOutput: (line: HookOutputLine) => void): Promise<ReleaseHooks> {
  const { releaseHooksFromDescriptor } = await import('../aws/hooks/release-hooks-from-descriptor');
  return releaseHooksFromDescriptor(descriptor, {
    clients: ctx.clients,
    commands: flags?.commands,
    commandTimeoutMs: flags?.timeoutMs,
    onOutput,
    ...(ctx.io.hookRunnerOptions?.webhook ? { webhook: ctx.io.hookRunnerOptions.webhook } : {}),
  });
}

/**
 * The feature-flag engine's ports on the service's AppConfig environment, monitor alarm and `<service>#flags` record
 * (lib/aws/feature-flags), or the test seam `CliIo.featureFlagPorts`.
 *
 * @param clients the Region's clients (the other Region's for a DR pair: `DrAccess.clientsFor`)
 */
export async function featureFlagPorts(ctx: CommandContext, descriptor: ServiceDescriptor, clients: AwsClients = ctx.clients): Promise<FeatureFlagPorts> {
  if (ctx.io.featureFlagPorts) return ctx.io.featureFlagPorts(descriptor);
  const { createFeatureFlagPorts } = await import('../aws/feature-flags/create-feature-flag-ports');
  return createFeatureFlagPorts(descriptor, clients);
}
