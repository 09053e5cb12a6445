import { HookPointName, ServiceDescriptor } from '../../contract';
import { HookRunner, ReleaseHook, ReleaseHooks } from '../../release/ports';
import { AwsClients } from '../clients';
import { CommandHookRunner, HookOutputLine } from './command-hook-runner';
import { KindHookRunner } from './kind-hook-runner';
import { WebhookHookRunner, WebhookHookRunnerOptions } from './webhook-hook-runner';

/** Time a command hook's attempt may take unless told otherwise: 30 minutes (a migration can be slow). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30 * 60_000;

/** Where a command hook runs: a release point, or `contract` (`bluegreen contract --contract-cmd`). */
export type CommandHookPoint = HookPointName | 'contract';

/** The point a `contract` command is recorded at: contract migrations follow promotion. */
export const CONTRACT_COMMAND_POINT: HookPointName = 'post-promotion';

/** The name of a command hook: `cmd-<point>`, `cmd-contract`. */
export function commandHookName(point: CommandHookPoint): string {
  return `cmd-${point}`;
}

/** Options of `releaseHooksFromDescriptor`. */
export interface ReleaseHooksOptions {
  /** Clients; the Lambda client (`HookLambdaClient`) is created on the first Lambda hook. */
  readonly clients: AwsClients;
  /**
   * Local commands by point, from the CLI's flags (`--pre-release-cmd`...; `contract`: `--contract-cmd`). Each
   * becomes a hook named `cmd-<point>` (`cmd-contract`, a contract hook), run with `sh -c`.
   *
   * @default - none
   */
  readonly commands?: Partial<Record<CommandHookPoint, string>>;
  /**
   * Time one attempt of a command hook may take.
   *
   * @default DEFAULT_COMMAND_TIMEOUT_MS
   */
  readonly commandTimeoutMs?: number;
  /**
   * Told each line a command hook writes.
   *
   * @default - output only kept for the detail
   */
  readonly onOutput?: (line: HookOutputLine) => void;
  /**
   * Options of the webhook runner (tests: `allowInsecureLoopback`).
   *
   * @default - https:// only
   */
  readonly webhook?: WebhookHookRunnerOptions;
}

/**
 * The release hooks of a service: those the descriptor declares (Lambda functions and webhooks; their targets stay
 * inside the runner, by hook name) and the local commands the CLI was given, with a runner for every kind and the
 * images the colours run (`colours.<c>.image`).
 *
 * @throws when a declared hook has the name of a command hook (`cmd-<point>`)
 */
export function releaseHooksFromDescriptor(descriptor: ServiceDescriptor, options: ReleaseHooksOptions): ReleaseHooks {
  const declared = descriptor.releaseHooks ?? [];
  const hooks: ReleaseHook[] = declared.map((h) => ({
    name: h.name,
    point: h.point,
    kind: h.kind,
    timeoutMs: h.timeoutSeconds * 1000,
    retries: h.retries,
    contract: h.contract,
  }));
  const commands = new Map<string, string>();
  for (const [point, command] of Object.entries(options.commands ?? {}) as Array<[CommandHookPoint, string | undefined]>) {
    if (command === undefined || command.trim() === '') continue;
    const name = commandHookName(point);
    if (hooks.some((h) => h.name === name)) {
      throw new Error(`${descriptor.service} declares a release hook named ${name}, the name of the --${point}-cmd command's hook: rename the declared hook.`);
    }
    commands.set(name, command);
    hooks.push({
      name,
      point: point === 'contract' ? CONTRACT_COMMAND_POINT : point,
      kind: 'command',
      timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      // A command is retried by running the pipeline again, not behind the operator's back.
      retries: 0,
      contract: point === 'contract',
    });
  }
  const targets = (kind: 'lambda' | 'webhook') => new Map(declared.filter((h) => h.kind === kind).map((h) => [h.name, h.target]));
  const functions = targets('lambda');
  const urls = targets('webhook');
  const images = { blue: descriptor.colours.blue.image || undefined, green: descriptor.colours.green.image || undefined };
  return {
    hooks,
    runner: new KindHookRunner({
      ...(functions.size ? { lambda: lazyLambdaRunner(functions, options.clients) } : {}),
      ...(urls.size ? { webhook: new WebhookHookRunner(urls, options.webhook) } : {}),
      ...(commands.size ? { command: new CommandHookRunner(commands, { onOutput: options.onOutput }) } : {}),
    }),
    images,
  };
}

/** The Lambda runner, loaded (with the Lambda SDK client) on the first Lambda hook. */
function lazyLambdaRunner(functions: ReadonlyMap<string, string>, clients: AwsClients): HookRunner {
  let loading: Promise<HookRunner> | undefined;
  const runner = () =>
    (loading ??= import('./lambda-hook-runner').then(({ HookLambdaClient, LambdaHookRunner }) => new LambdaHookRunner(functions, clients.get(HookLambdaClient))));
  return { run: async (hook, event, timeoutMs) => (await runner()).run(hook, event, timeoutMs) };
}
