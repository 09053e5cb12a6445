import { DescribeImagesCommand, EC2Client, Image } from '@aws-sdk/client-ec2';
import { IMAGE_TAG_KEY, VERSION_TAG_KEY } from '../../contract';
import { AwsClients } from '../clients';

/** One AMI of a baked image. */
export interface Bake {
  readonly imageId: string;
  /** `bluegreen:version`, if tagged. */
  readonly version?: string;
  /** EC2's CreationDate (ISO 8601, compares as text). */
  readonly created: string;
}

/**
 * The AMI `runs` and every AMI of the same baked image among the account's own (tag `bluegreen:image` equal to that
 * of `runs`; available or still being made), newest first. Two DescribeImages calls.
 *
 * @returns undefined when `runs` does not exist or carries no `bluegreen:image` tag
 */
export async function bakesOf(runs: string, clients: AwsClients): Promise<{ runs: Bake; images: Bake[] } | undefined> {
  const ec2 = clients.get(EC2Client);
  const own = (await ec2.send(new DescribeImagesCommand({ ImageIds: [runs] }))).Images?.[0];
  const tag = own && tagOf(own, IMAGE_TAG_KEY);
  if (!own || !tag) return undefined;
  const out = await ec2.send(
    new DescribeImagesCommand({
      Owners: ['self'],
      Filters: [
        { Name: `tag:${IMAGE_TAG_KEY}`, Values: [tag] },
        { Name: 'state', Values: ['available', 'pending'] },
      ],
    }),
  );
  const images = (out.Images ?? []).map(bake).sort((a, b) => b.created.localeCompare(a.created));
  return { runs: bake(own), images };
}

function bake(i: Image): Bake {
  return { imageId: i.ImageId ?? '', version: tagOf(i, VERSION_TAG_KEY), created: i.CreationDate ?? '' };
}

function tagOf(image: Image, key: string): string | undefined {
  return image.Tags?.find((t) => t.Key === key)?.Value;
}
