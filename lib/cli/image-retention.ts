import type { RetentionResult } from '../aws/ami-retention';
import type { ServiceDescriptor } from '../contract';
import { retainColourImages } from './aws-access';
import type { CommandContext } from './command';

/**
 * Keep the AMIs the colours run from the image lifecycle policy (tag them to keep; untag ones no colour runs).
 * Nothing on a dry run. A failure only warns: the command's change in AWS has already happened.
 */
export async function keepImagesRetained(ctx: CommandContext, descriptor: ServiceDescriptor): Promise<RetentionResult | undefined> {
  if (ctx.global.dryRun) return undefined;
  try {
    const result = await retainColourImages(ctx, descriptor);
    if (result.retained.length) ctx.out.line(`Kept from image clean-up (bluegreen:retain): ${result.retained.join(', ')}.`);
    if (result.released.length) ctx.out.line(`No colour runs ${result.released.join(', ')} any more: released to image clean-up.`);
    return result;
  } catch (e) {
    ctx.out.warn(
      `could not tag the colours' AMIs to keep them (${(e as Error).message}); the image lifecycle policy may delete an AMI a colour runs. ` +
        'Tag it bluegreen:retain=true by hand, or rerun bluegreen sync-manifest.',
    );
    return undefined;
  }
}
