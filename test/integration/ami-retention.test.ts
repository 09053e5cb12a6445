import { CreateImageCommand, CreateTagsCommand, DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TAG_KEY, RETAIN_TAG_KEY, RETAINED_BY_TAG_KEY } from '../../lib/contract';
import { retainColourImages } from '../../lib/aws';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

/** A Windows AMI moto ships, owned by Amazon, untagged. */
const PUBLIC_AMI = 'ami-03cf127a';

describe('AMI retention against moto', () => {
  useMotoServer();
  let fx: ServiceFixture;
  /** An AMI this account owns, made by "a BakedImage" (tagged bluegreen:image) unless `baked` is false. */
  const ownedAmi = async (name: string, baked = true) => {
    const run = await fx.clients.get(EC2Client).send(new RunInstancesCommand({ ImageId: FIXTURE_AMI, MinCount: 1, MaxCount: 1 }));
    const { ImageId } = await fx.clients.get(EC2Client).send(new CreateImageCommand({ InstanceId: run.Instances![0].InstanceId!, Name: name }));
    if (baked) await fx.clients.get(EC2Client).send(new CreateTagsCommand({ Resources: [ImageId!], Tags: [{ Key: IMAGE_TAG_KEY, Value: 'web' }] }));
    return ImageId!;
  };
  const tags = async (id: string) => {
    const out = await fx.clients.get(EC2Client).send(new DescribeImagesCommand({ ImageIds: [id] }));
    return Object.fromEntries((out.Images?.[0].Tags ?? []).map((t) => [t.Key, t.Value]));
  };
  const withImages = (blue: string, green: string) => ({
    ...fx.descriptor,
    colours: { blue: { ...fx.descriptor.colours.blue, imageId: blue }, green: { ...fx.descriptor.colours.green, imageId: green } },
  });

  beforeAll(async () => {
    fx = await createServiceFixture({ service: 'retained' });
  });

  it('tags the baked AMIs both colours run, and leaves AMIs it does not own or did not bake alone', async () => {
    // GIVEN blue on a baked AMI, green on an owned but hand-made AMI; a public AMI moto ships is not ours (not the
    // fixture's: the fixture tags it as a bake, and moto ignores Owners when image ids are given)
    const baked = await ownedAmi('baked-1');
    const handMade = await ownedAmi('hand-made', false);
    // WHEN
    const result = await retainColourImages(withImages(baked, handMade), fx.clients);
    // THEN
    expect(result).toEqual({ retained: [baked], released: [] });
    expect(await tags(baked)).toMatchObject({ [RETAIN_TAG_KEY]: 'true', [RETAINED_BY_TAG_KEY]: 'retained' });
    expect(await tags(handMade)).not.toHaveProperty(RETAIN_TAG_KEY);
    expect(await retainColourImages(withImages(PUBLIC_AMI, PUBLIC_AMI), fx.clients)).toMatchObject({ retained: [] });
  });

  it('releases an AMI no colour runs any more, and is a no-op when nothing changed', async () => {
    // GIVEN blue and green on two retained baked AMIs
    const [a, b, c] = [await ownedAmi('a'), await ownedAmi('b'), await ownedAmi('c')];
    await retainColourImages(withImages(a, b), fx.clients);
    // WHEN green moves to a new bake
    const result = await retainColourImages(withImages(a, c), fx.clients);
    // THEN
    expect(result.retained).toEqual([c]);
    expect(result.released).toContain(b);
    expect(await tags(b)).not.toHaveProperty(RETAIN_TAG_KEY);
    expect(await tags(a)).toMatchObject({ [RETAIN_TAG_KEY]: 'true' });
    expect(await retainColourImages(withImages(a, c), fx.clients)).toEqual({ retained: [], released: [] });
  });
});
