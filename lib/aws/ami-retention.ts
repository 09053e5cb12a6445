import { CreateTagsCommand, DeleteTagsCommand, DescribeImagesCommand, DescribeImagesCommandInput, EC2Client, Image } from '@aws-sdk/client-ec2';
import { ServiceDescriptor } from '../contract';
import { IMAGE_TAG_KEY, RETAIN_TAG_KEY, RETAIN_TAG_VALUE, RETAINED_BY_TAG_KEY } from '../contract';
import { AwsClients } from './clients';

/** What `retainColourImages` changed. */
export interface RetentionResult {
  /** AMIs newly tagged to keep. */
  readonly retained: string[];
  /** AMIs no colour of the service runs any more, whose keep tags were removed. */
  readonly released: string[];
}

/**
 * Keep the AMIs the service's colours run out of reach of the image lifecycle policy, which deletes all but the newest
 * few images: tag them `bluegreen:retain=true` (its exclusion rule) and `bluegreen:retained-by=<service>`, and
 * remove both tags from AMIs the service no longer runs so they age out normally.
 *
 * Only AMIs this account owns and a BakedImage made are touched: public or shared AMIs are not ours to tag, and the
 * lifecycle policy never selects them anyway. At most four calls, fewer when nothing changed.
 */
export async function retainColourImages(descriptor: ServiceDescriptor, clients: AwsClients): Promise<RetentionResult> {
  const ec2 = clients.get(EC2Client);
  const running = [...new Set([descriptor.colours.blue.imageId, descriptor.colours.green.imageId].filter((id) => /^ami-[0-9a-f]+$/.test(id)))];
  const [current, previous] = await Promise.all([
    running.length ? describe(ec2, { ImageIds: running, Owners: ['self'] }) : Promise.resolve([]),
    describe(ec2, { Owners: ['self'], Filters: [{ Name: `tag:${RETAINED_BY_TAG_KEY}`, Values: [descriptor.service] }] }),
  ]);
  const retained = current.filter((i) => tag(i, IMAGE_TAG_KEY) !== undefined && tag(i, RETAIN_TAG_KEY) !== RETAIN_TAG_VALUE).map((i) => i.ImageId!);
  const released = previous.map((i) => i.ImageId!).filter((id) => !running.includes(id));
  if (retained.length) {
    await ec2.send(
      new CreateTagsCommand({
        Resources: retained,
        Tags: [
          { Key: RETAIN_TAG_KEY, Value: RETAIN_TAG_VALUE },
          { Key: RETAINED_BY_TAG_KEY, Value: descriptor.service },
        ],
      }),
    );
  }
  if (released.length) {
    await ec2.send(new DeleteTagsCommand({ Resources: released, Tags: [{ Key: RETAIN_TAG_KEY }, { Key: RETAINED_BY_TAG_KEY }] }));
  }
  return { retained, released };
}

async function describe(ec2: EC2Client, input: DescribeImagesCommandInput): Promise<Image[]> {
  return (await ec2.send(new DescribeImagesCommand(input))).Images ?? [];
}

function tag(image: Image, key: string): string | undefined {
  return image.Tags?.find((t) => t.Key === key)?.Value;
}
