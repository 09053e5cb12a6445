import { AMI_ID, IMAGE_NAME, SSM_NAME } from '../contract';
import { usageError } from '../release';

/** The forms a release manifest's `image` takes (constructs/image/image-source.ts). */
export type ImageReferenceKind = 'ami' | 'ssm' | 'baked';

const FORMS = "an AMI id (ami-0123456789abcdef0), 'ssm:<parameter name>' or 'baked:<image name>'";

/**
 * The kind of an image reference, checked the way a synth would check it, so `stage` never writes a manifest that
 * `cdk deploy` then rejects.
 *
 * @throws UsageError naming `name`, the problem and the value
 */
export function checkImageReference(ref: string, name = 'image'): ImageReferenceKind {
  if (ref.startsWith('ami-')) {
    if (!AMI_ID.test(ref)) throw usageError(name, "malformed AMI id: expected 'ami-' and 8 or 17 lower-case hex digits, e.g. ami-0123456789abcdef0.", ref);
    return 'ami';
  }
  if (ref.startsWith('ssm:')) {
    if (!SSM_NAME.test(ref.slice(4))) throw usageError(name, 'malformed SSM parameter name: use a path such as ssm:/images/web/latest.', ref);
    return 'ssm';
  }
  if (ref.startsWith('baked:')) {
    if (!IMAGE_NAME.test(ref.slice(6))) {
      throw usageError(name, 'malformed baked image name: lower-case letters, digits and hyphens, starting with a letter, e.g. baked:web.', ref);
    }
    return 'baked';
  }
  throw usageError(name, `unrecognised image reference; use ${FORMS}.`, ref);
}

/**
 * Whether a manifest entry names the image a colour last deployed: the same fingerprint, the AMI id it resolved to,
 * or the baked image it was built from (`baked:web` for `baked:web@<version>`; whether the version is still current
 * only a synth knows).
 */
export function namesDeployedImage(entry: string, deployed: { readonly image: string; readonly imageId?: string }): boolean {
  if (entry === deployed.image || (entry.startsWith('ami-') && entry === deployed.imageId)) return true;
  return entry.startsWith('baked:') && deployed.image.startsWith(`${entry}@`);
}
