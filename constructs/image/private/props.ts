/** Validation and derivation of `BakedImage` props. */
import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { checkIntRange, propError } from '../../private/validate';
import type { BakedImageProps } from '../baked-image';
import { ImageDistributionRegion } from '../distribution-region';
import { ImageArchitecture } from '../image-architecture';
import { ComponentDocument, ImageComponent } from '../image-component';
import { contentHash } from './content-version';
import { IMAGE_NAME, REGION } from '../../../lib/contract';

/** Image Builder allows 20 components per recipe; one is the identity component. */
const MAX_DOCUMENTS = 19;

/** Throw, naming the prop, the value and the fix, for props that cannot work (token values are skipped). */
export function validateProps(props: BakedImageProps) {
  if (!Token.isUnresolved(props.imageName) && !IMAGE_NAME.test(props.imageName)) {
    throw propError('imageName', props.imageName, 'must be lower-case letters, digits and hyphens, start with a letter, and be at most 40 characters.');
  }
  if (props.components.length === 0) {
    throw propError('components', [], "must list at least one component, e.g. ImageComponent.fromSteps({ name: 'app', buildCommands: ['dnf install -y nginx'] }).");
  }
  if (props.keepImages !== undefined && !Token.isUnresolved(props.keepImages) && (!Number.isInteger(props.keepImages) || props.keepImages < 3 || props.keepImages > 1000)) {
    throw propError(
      'keepImages',
      props.keepImages,
      'must be a whole number from 3 to 1000: the live colour, the idle colour and at least one rollback target each need an image.',
    );
  }
  const within = props.protectLaunchedWithin;
  if (within && !within.isUnresolved()) {
    const days = within.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw propError('protectLaunchedWithin', within, 'must be whole days from 1 to 365, e.g. Duration.days(30).');
    }
  }
  checkIntRange('rootVolumeSize', props.rootVolumeSize, 8, 16384);
  if (props.rootDeviceName !== undefined && !/^\/dev\/[a-z0-9]+$/.test(props.rootDeviceName)) {
    throw propError('rootDeviceName', props.rootDeviceName, "must be a device name such as '/dev/xvda' or '/dev/sda1'.");
  }
}

/** The build instance types, checked against the parent's architecture. */
export function resolveInstanceTypes(types: ec2.InstanceType[] | undefined, architecture: ImageArchitecture): string[] {
  if (types === undefined) return [architecture.defaultBuildInstanceType];
  if (types.length === 0) throw propError('instanceTypes', [], `must name at least one instance type, e.g. ${architecture.defaultBuildInstanceType}.`);
  for (const type of types) {
    if (type.architecture !== architecture.instanceArchitecture) {
      throw propError(
        'instanceTypes',
        type.toString(),
        `is ${type.architecture}, but the parent image is ${architecture.name}. Use ${architecture.name} instance types such as ${architecture.defaultBuildInstanceType}.`,
      );
    }
  }
  return types.map((t) => t.toString());
}

/** Distribution Regions: well-formed, distinct, and not the stack's own. */
export function checkRegions(regions: ImageDistributionRegion[], home: string): ImageDistributionRegion[] {
  const seen = new Set<string>();
  regions.forEach((r, i) => {
    const prop = `distributionRegions[${i}].region`;
    if (Token.isUnresolved(r.region)) return;
    if (!REGION.test(r.region)) throw propError(prop, r.region, "must be a Region name such as 'eu-central-1'.");
    if (r.region === home) throw propError(prop, r.region, 'is the stack\'s own Region, where the image is baked anyway; remove it.');
    if (seen.has(r.region)) throw propError(prop, r.region, 'is listed twice; keep one entry per Region.');
    seen.add(r.region);
  });
  return regions;
}

/** All component documents in order, with unique names and within Image Builder's limit. */
export function collectDocuments(components: ImageComponent[]): ComponentDocument[] {
  const documents = components.flatMap((c) => c.documents);
  const names = new Set<string>(['identity']);
  for (const doc of documents) {
    if (names.has(doc.name)) {
      throw propError('components', doc.name, `has two components named '${doc.name}' ('identity' is reserved, and a component with tests also uses '<name>-test'). Rename one.`);
    }
    names.add(doc.name);
  }
  if (documents.length > MAX_DOCUMENTS) {
    throw propError('components', `${documents.length} documents`, `must add up to at most ${MAX_DOCUMENTS} documents (Image Builder's limit of 20 per recipe, less the identity component). Merge some.`);
  }
  return documents;
}

/** `<stack>-<image name>`: unique in the account and Region, since stack names are. */
export function resourceBaseName(stack: Stack, imageName: string): string {
  const stackPart = Token.isUnresolved(stack.stackName) ? '' : stack.stackName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const base = stackPart ? `${stackPart}-${imageName}` : imageName;
  return base.length <= 64 ? base : `${base.slice(0, 55).replace(/-+$/, '')}-${contentHash(base).slice(0, 8)}`;
}
