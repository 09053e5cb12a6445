import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BakedImage, BlueGreenService, ImageArchitecture, ImageSource, ParentImage, ReleaseManifest } from '../../constructs';
import { buildImage, DR_REGION, freshApp, HOME_REGION, PINNED_AMI, resourcesOfType, stackIn, vpcIn } from './fixtures';

function manifest(blue: string, green: string) {
  return ReleaseManifest.fromObject({ schemaVersion: 1, service: 'web', blue: { image: blue, mode: 'active' }, green: { image: green, mode: 'ready' } });
}

function serviceIn(stack: ReturnType<typeof stackIn>, image: BakedImage, blue = 'baked:web', green = 'baked:web', vpc: ec2.IVpc = vpcIn(stack)) {
  return new BlueGreenService(stack, 'Web', {
    serviceName: 'web',
    manifest: manifest(blue, green),
    imageResolvers: [image],
    vpc,
    testListener: { allowedCidrs: ['10.0.0.0/8'] },
  });
}

function launchTemplateImageIds(template: Template): unknown[] {
  return Object.values(resourcesOfType(template, 'AWS::EC2::LaunchTemplate')).map(
    (lt) => (lt.Properties?.LaunchTemplateData as { ImageId: unknown }).ImageId,
  );
}

describe('ImageSource.fromBakedImage', () => {
  it('gives colours in the image\'s stack the AMI id of the bake itself', () => {
    // GIVEN
    const { stack, image } = buildImage();
    // WHEN
    serviceIn(stack, image, 'baked:web', 'baked:web', stack.node.findChild('Vpc') as ec2.IVpc);
    // THEN
    const imageId = launchTemplateImageIds(Template.fromStack(stack));
    const imageLogicalId = stack.getLogicalId(image.image);
    expect(imageId).toEqual([{ 'Fn::GetAtt': [imageLogicalId, 'ImageId'] }, { 'Fn::GetAtt': [imageLogicalId, 'ImageId'] }]);
  });

  it('records the synth-time fingerprint baked:<name>@<version> for the release guard', () => {
    // GIVEN
    const { stack, image } = buildImage();
    // WHEN
    serviceIn(stack, image, PINNED_AMI, 'baked:web', stack.node.findChild('Vpc') as ec2.IVpc);
    // THEN
    Template.fromStack(stack).hasResourceProperties('Custom::BlueGreenReleaseGuard', {
      Colours: { blue: { image: PINNED_AMI, mode: 'active' }, green: { image: `baked:web@${image.version}`, mode: 'ready' } },
    });
    expect(ImageSource.fromBakedImage(image).bind(stack).fingerprint).toBe(image.fingerprint);
  });

  it('gives colours in a distribution Region the AMI id from the SSM parameter the distribution writes there', () => {
    // GIVEN
    const app = freshApp();
    const { image } = buildImage({}, app);
    const dr = stackIn(app, 'Dr', DR_REGION);
    // WHEN
    serviceIn(dr, image);
    // THEN
    const t = Template.fromStack(dr);
    const ids = launchTemplateImageIds(t) as Array<{ Ref: string }>;
    expect(ids[0]).toEqual(ids[1]);
    expect(t.toJSON().Parameters[ids[0].Ref]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: '/imagebuilder/bluegreen/home-web',
    });
    expect(ImageSource.fromBakedImage(image).bind(dr).regions).toEqual([HOME_REGION, DR_REGION]);
  });

  it('reads the SSM parameter, not a cross-stack export, from another stack of the same Region', () => {
    // GIVEN
    const app = freshApp();
    const { image } = buildImage({}, app);
    const other = stackIn(app, 'Other', HOME_REGION);
    // WHEN
    serviceIn(other, image);
    // THEN
    const json = JSON.stringify(Template.fromStack(other).toJSON());
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).toContain('/imagebuilder/bluegreen/home-web');
  });

  it('is offered to the service as a resolver: other forms still work, unknown baked names fail with the known forms', () => {
    // GIVEN
    const { stack, image } = buildImage();
    // WHEN
    serviceIn(stack, image, PINNED_AMI, 'baked:web', stack.node.findChild('Vpc') as ec2.IVpc);
    // THEN
    expect(launchTemplateImageIds(Template.fromStack(stack))[0]).toBe(PINNED_AMI);
    expect(() => ImageSource.fromManifestEntry('baked:api', [image], 'green.image')).toThrow(
      "green.image: unrecognised image 'baked:api'. Use an AMI id (ami-0123456789abcdef0), 'ssm:<parameter name>', or one of: baked:web.",
    );
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ ImageId: { 'Fn::GetAtt': Match.anyValue() } }) });
  });

  it('rejects an instance type of another architecture than the baked image, naming the fix', () => {
    // GIVEN an arm64 bake
    const { stack, image } = buildImage({ parentImage: ParentImage.amazonLinux2023(ImageArchitecture.ARM_64) });
    const props = { serviceName: 'web', manifest: manifest(PINNED_AMI, 'baked:web'), imageResolvers: [image], vpc: stack.node.findChild('Vpc') as ec2.IVpc };
    // WHEN / THEN the default x86 instance type is refused for green, which runs the bake
    expect(() => new BlueGreenService(stack, 'Web', props)).toThrow(
      /^instanceType: is x86_64 but green's image baked:web@[0-9.]+ is built for arm64: pick an instance type for arm64 \(e\.g\. t4g\.small\) or bake for x86_64\. Got "t3\.small"\.$/,
    );
    // and a Graviton type is accepted
    expect(() => new BlueGreenService(stack, 'Arm', { ...props, instanceType: new ec2.InstanceType('t4g.small') })).not.toThrow();
  });
});
