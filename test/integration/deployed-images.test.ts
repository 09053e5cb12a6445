/**
 * "Release only what was deployed" against moto: the staged-image check (AwsDeployedImages) for each form of image
 * reference, and a release through the real adapters refused with nothing changed, or let through by
 * allowUndeployedImage.
 */
import { CreateImageCommand, CreateTagsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsDeployedImages, createAwsClients, createAwsPorts, DynamoReleaseStateStore } from '../../lib/aws';
import { IMAGE_TAG_KEY, ServiceDescriptor, VERSION_TAG_KEY } from '../../lib/contract';
import { ReleaseEngine, ReleaseEvent, ReleaseEventType, ReleaseStrategy } from '../../lib/release';
import { createServiceFixture, FIXTURE_AMI, FIXTURE_GREEN_IMAGE, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';

useMotoServer();
let fx: ServiceFixture;

beforeAll(async () => {
  fx = await createServiceFixture({ service: 'deployed' });
});

/** A bake of `image` at `version`, owned by this account, as a BakedImage tags its AMIs. */
async function bake(image: string, version: string): Promise<string> {
  const ec2 = fx.clients.get(EC2Client);
  const run = await ec2.send(new RunInstancesCommand({ ImageId: FIXTURE_AMI, MinCount: 1, MaxCount: 1 }));
  const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: run.Instances![0].InstanceId!, Name: `${image}-${version}-${Date.now()}` }));
  await ec2.send(new CreateTagsCommand({ Resources: [ImageId!], Tags: [{ Key: IMAGE_TAG_KEY, Value: image }, { Key: VERSION_TAG_KEY, Value: version }] }));
  // CreationDate has whole seconds in moto: keep bakes in order.
  await new Promise((r) => setTimeout(r, 1_100));
  return ImageId!;
}

/** The fixture's descriptor with green's last deploy set to `image` on `imageId`. */
function greenRuns(image: string, imageId: string): ServiceDescriptor {
  return { ...fx.descriptor, colours: { ...fx.descriptor.colours, green: { ...fx.descriptor.colours.green, image, imageId } } };
}

const verify = (descriptor: ServiceDescriptor, staged: string) => AwsDeployedImages.fromClients(descriptor, fx.clients).verify('green', staged);

describe('AwsDeployedImages', () => {
  it('ami-: equal to the AMI the colour runs, without a call', async () => {
    const clients = createAwsClients();
    const images = AwsDeployedImages.fromClients(fx.descriptor, clients);
    expect(await images.verify('blue', FIXTURE_AMI)).toEqual({ deployed: true, detail: `blue runs ${FIXTURE_AMI}, as staged` });
    expect(await images.verify('green', 'ami-1e749f67')).toEqual({
      deployed: false,
      detail: `the release manifest stages ami-1e749f67 for green, but green runs ${FIXTURE_AMI} (its last deploy): the stage was never deployed. Run cdk deploy so that green runs it, then release again.`,
    });
    expect(clients.counter.count()).toBe(0);
  });

  it('ssm:: the parameter holds the AMI the colour runs now; a parameter that moved on, or none, is not deployed', async () => {
    const ssm = fx.clients.get(SSMClient);
    await ssm.send(new PutParameterCommand({ Name: '/images/deployed/current', Type: 'String', Value: FIXTURE_AMI, Overwrite: true }));
    await ssm.send(new PutParameterCommand({ Name: '/images/deployed/next', Type: 'String', Value: 'ami-0bbbbbbbbbbbbbbbb', Overwrite: true }));
    expect(await verify(fx.descriptor, 'ssm:/images/deployed/current')).toEqual({ deployed: true, detail: `green runs ${FIXTURE_AMI}, the value of /images/deployed/current` });
    expect(await verify(fx.descriptor, 'ssm:/images/deployed/next')).toEqual({
      deployed: false,
      detail:
        `the release manifest stages ssm:/images/deployed/next for green, which holds "ami-0bbbbbbbbbbbbbbbb" now, but green runs ${FIXTURE_AMI} ` +
        '(its last deploy read an older value): the new image was never deployed. Run cdk deploy so that green runs it, then release again.',
    });
    expect(await verify(fx.descriptor, 'ssm:/images/deployed/none')).toEqual({
      deployed: false,
      detail: `the release manifest stages ssm:/images/deployed/none for green, but the SSM parameter /images/deployed/none does not exist; green runs ${FIXTURE_AMI}. Fix the manifest (bluegreen stage).`,
    });
  });

  it('baked:: the last deploy put that image on the colour, and no newer bake of it exists', async () => {
    // GIVEN green runs version 1 of "shop-web"
    const v1 = await bake('shop-web', '1.0.1');
    const descriptor = greenRuns('baked:web@1.0.1', v1);
    // THEN it runs the staged bake; another image's name is not
    expect(await verify(descriptor, 'baked:web')).toEqual({ deployed: true, detail: `green runs baked:web@1.0.1 (${v1}), the newest bake of web` });
    expect(await verify(descriptor, 'baked:shop2')).toEqual({
      deployed: false,
      detail: `the release manifest stages baked:shop2 for green, but green's last deploy put baked:web@1.0.1 (${v1}) on it: the stage was never deployed. Run cdk deploy so that green runs it, then release again.`,
    });
    // AND a colour deployed from an AMI id is not running a bake
    expect((await verify(greenRuns(FIXTURE_AMI, FIXTURE_AMI), 'baked:web')).deployed).toBe(false);

    // WHEN a newer version is baked, but its deploy did not finish (green still runs version 1)
    const v2 = await bake('shop-web', '1.0.2');
    // THEN
    const refused = await verify(descriptor, 'baked:web');
    expect(refused.deployed).toBe(false);
    expect(refused.detail).toMatch(
      new RegExp(
        `^the release manifest stages baked:web for green, and a newer bake of web exists \\(${v2}, version 1\\.0\\.2, made \\S+\\) than the one green runs \\(${v1}, version 1\\.0\\.1\\): ` +
          'the deploy that baked it did not finish\\. Run cdk deploy so that green runs it, then release again\\.$',
      ),
    );
    // AND once deployed, it is the newest
    expect((await verify(greenRuns('baked:web@1.0.2', v2), 'baked:web')).deployed).toBe(true);
  });

  it('baked:: an AMI without the bluegreen:image tag cannot be judged, and is refused', async () => {
    const untagged = greenRuns('baked:web@9', 'ami-03cf127a');
    expect(await verify(untagged, 'baked:web')).toEqual({
      deployed: false,
      detail: `the release manifest stages baked:web for green; green runs baked:web@9 as ami-03cf127a, which carries no ${IMAGE_TAG_KEY} tag, so whether a newer bake of web exists cannot be told. Run cdk deploy so that green runs it, then release again. If ami-03cf127a is what should be released, override the check (allowUndeployedImage).`,
    });
  });
});

describe('a release through the AWS adapters', () => {
  it('is refused with nothing changed when green does not run its stage, and goes ahead with allowUndeployedImage', async () => {
    // GIVEN green staged with an AMI that was never deployed (green runs the fixture's bake)
    const f = await createServiceFixture({ service: 'undeployed' });
    expect(f.descriptor.colours.green.image).toBe(FIXTURE_GREEN_IMAGE);
    const staged = { blue: FIXTURE_AMI, green: 'ami-03cf127a' };
    const clients = createAwsClients();
    const events: ReleaseEvent[] = [];
    const ports = createAwsPorts(f.descriptor, clients, { event: (e) => events.push(e) });
    const options = { service: f.service, owner: 'test', pollIntervalMs: 200, stagedImages: staged };

    // WHEN
    const refused = await new ReleaseEngine(ports, options).release({ strategy: ReleaseStrategy.allAtOnce() });

    // THEN nothing changed: weights, test route, no record; no write was made
    expect(refused.status).toBe('refused');
    expect(refused.message).toMatch(/^Release refused, nothing changed: .*the release manifest stages ami-03cf127a for green, but green runs ami-12c6146b \(its last deploy\): the stage was never deployed\. Run cdk deploy/);
    expect(await f.weights()).toEqual({ blue: 100, green: 0 });
    expect(await f.weights('test')).toEqual({ blue: 0, green: 100 });
    expect(await DynamoReleaseStateStore.fromClients(f.clients, f.descriptor.releaseStateTable, f.service).read()).toBeUndefined();
    expect(clients.counter.snapshot().filter((c) => !/^(Describe|Get)/.test(c.operation))).toEqual([]);

    // WHEN overridden
    const allowed = await new ReleaseEngine(ports, { ...options, allowUndeployedImage: true }).release({ strategy: ReleaseStrategy.allAtOnce() });

    // THEN
    expect(allowed.status).toBe('succeeded');
    expect(events.find((e) => e.type === ReleaseEventType.UNDEPLOYED_IMAGE_ALLOWED)?.message).toMatch(/^Releasing what green runs now, although the release manifest stages ami-03cf127a/);
    expect(await f.weights()).toEqual({ blue: 0, green: 100 });
    clients.destroy();
  });
});
