import { ServiceDescriptor } from '../../contract';
import { AwsClients } from '../../aws';
import { releaseHooksFromDescriptor } from '../../aws/hooks/release-hooks-from-descriptor';
import { ReleaseHooks } from '../../release';

/**
 * The release hooks the auto-rollback runs: the descriptor's `on-rollback` hooks (Lambda functions and webhooks;
 * command hooks are the CLI's alone), run by the engine after an automatic rollback. Undefined when there are none.
 */
export function onRollbackHooks(descriptor: ServiceDescriptor, clients: AwsClients): ReleaseHooks | undefined {
  const all = releaseHooksFromDescriptor(descriptor, { clients });
  const hooks = all.hooks.filter((h) => h.point === 'on-rollback' && (h.kind === 'lambda' || h.kind === 'webhook'));
  return hooks.length ? { ...all, hooks } : undefined;
}
