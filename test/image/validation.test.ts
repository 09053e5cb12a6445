import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, ImageArchitecture, ImageComponent, ImageSource, ParentImage, ReleaseManifest } from '../../constructs';
import { buildImage, freshApp, HOME_REGION, stackIn, vpcIn, webComponent } from './fixtures';

function serviceOnBakedImageIn(region: string, account?: string) {
  const app = freshApp();
  const { image } = buildImage({}, app);
  const stack = account ? new Stack(app, 'Elsewhere', { env: { account, region } }) : stackIn(app, 'Elsewhere', region);
  return () =>
    new BlueGreenService(stack, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromObject({ schemaVersion: 1, service: 'web', blue: { image: 'baked:web', mode: 'active' }, green: { image: 'baked:web', mode: 'ready' } }),
      imageResolvers: [image],
      vpc: vpcIn(stack),
    });
}

function tempFile(name: string, content: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'image-')), name);
  fs.writeFileSync(file, content);
  return file;
}

describe('bad input to baked images', () => {
  it('rejects a malformed parent AMI id, naming the value and the expected form', () => {
    expect(() => ParentImage.fromAmiId('ami-12345')).toThrow(
      "parentImage: malformed AMI id 'ami-12345'. Expected 'ami-' followed by 8 or 17 lower-case hex digits, e.g. ami-0123456789abcdef0.",
    );
    expect(() => ImageSource.fromAmiId('ami-XYZ')).toThrow("image: malformed AMI id 'ami-XYZ'");
  });

  it('rejects a malformed parent SSM parameter name', () => {
    expect(() => ParentImage.fromSsmParameter('not a parameter!')).toThrow("parentImage: malformed SSM parameter name 'not a parameter!'");
  });

  it('rejects an unknown architecture, listing the known ones', () => {
    expect(() => ImageArchitecture.of('sparc')).toThrow(
      "architecture: unknown architecture 'sparc'. Use ImageArchitecture.X86_64 ('x86_64') or ImageArchitecture.ARM_64 ('arm64').",
    );
    expect(ImageArchitecture.of('arm64')).toBe(ImageArchitecture.ARM_64);
  });

  it('rejects an empty component list', () => {
    expect(() => buildImage({ components: [] })).toThrow(/^components: must list at least one component, .* Got \[\]\.$/);
  });

  it('rejects a component without build steps', () => {
    expect(() => ImageComponent.fromSteps({ name: 'web', buildCommands: [], testCommands: ['true'] })).toThrow(/^component 'web' buildCommands: needs at least one command/);
    expect(() => ImageComponent.fromSteps({ name: 'web', buildCommands: ['  '] })).toThrow("component 'web' buildCommands[0]: must be a non-empty shell command.");
  });

  it('rejects a colour in a Region the image is not distributed to, naming the Region and the fix', () => {
    expect(serviceOnBakedImageIn('us-east-1')).toThrow(
      "image 'web' is not distributed to us-east-1 (stack Elsewhere); it exists in eu-west-1, eu-central-1. " +
        "Add { region: 'us-east-1' } to distributionRegions of Home/WebImage, or pin the colour to an AMI id that exists in us-east-1.",
    );
  });

  it('rejects a colour in another account', () => {
    expect(serviceOnBakedImageIn(HOME_REGION, '222222222222')).toThrow(/image 'web': stack Elsewhere is in account 222222222222, the image in 111111111111/);
  });

  it('rejects a malformed image name', () => {
    expect(() => buildImage({ imageName: 'Web Image' })).toThrow('imageName: must be lower-case letters, digits and hyphens, start with a letter, and be at most 40 characters. Got "Web Image".');
  });

  it('rejects keep-counts that could delete an image a colour needs', () => {
    expect(() => buildImage({ keepImages: 2 })).toThrow(/^keepImages: must be a whole number from 3 to 1000: the live colour, the idle colour and at least one rollback target/);
    expect(() => buildImage({ keepImages: 4.5 })).toThrow(/keepImages: .* Got 4\.5\./);
  });

  it('rejects a launch protection that is not whole days from 1 to 365', () => {
    expect(() => buildImage({ protectLaunchedWithin: Duration.hours(36) })).toThrow('protectLaunchedWithin: must be whole days from 1 to 365, e.g. Duration.days(30). Got 129600 seconds.');
    expect(() => buildImage({ protectLaunchedWithin: Duration.days(400) })).toThrow(/protectLaunchedWithin/);
  });

  it('rejects malformed, duplicate and home distribution Regions', () => {
    expect(() => buildImage({ distributionRegions: [{ region: 'Frankfurt' }] })).toThrow('distributionRegions[0].region: must be a Region name such as \'eu-central-1\'. Got "Frankfurt".');
    expect(() => buildImage({ distributionRegions: [{ region: 'eu-central-1' }, { region: 'eu-central-1' }] })).toThrow(/distributionRegions\[1\]\.region: is listed twice/);
    expect(() => buildImage({ distributionRegions: [{ region: HOME_REGION }] })).toThrow(/distributionRegions\[0\]\.region: is the stack's own Region/);
  });

  it('rejects build instance types of another architecture than the parent image', () => {
    expect(() => buildImage({ instanceTypes: [new ec2.InstanceType('t4g.large')] })).toThrow(
      'instanceTypes: is arm64, but the parent image is x86_64. Use x86_64 instance types such as t3.medium. Got "t4g.large".',
    );
    expect(() => buildImage({ instanceTypes: [] })).toThrow(/instanceTypes: must name at least one instance type/);
  });

  it('rejects two components of the same name, and the reserved name identity', () => {
    expect(() => buildImage({ components: [webComponent('a'), webComponent('b')] })).toThrow(/components: has two components named 'web'/);
    expect(() => buildImage({ components: [ImageComponent.fromSteps({ name: 'identity', buildCommands: ['true'] })] })).toThrow(/components: has two components named 'identity'/);
  });

  it('rejects a root volume outside 8 to 16384 GiB and a malformed root device', () => {
    expect(() => buildImage({ rootVolumeSize: 4 })).toThrow('rootVolumeSize: must be a whole number from 8 to 16384. Got 4.');
    expect(() => buildImage({ rootDeviceName: 'xvda' })).toThrow(/rootDeviceName: must be a device name/);
  });

  it('rejects malformed component names, files and oversized documents', () => {
    expect(() => ImageComponent.fromSteps({ name: 'Web_App', buildCommands: ['true'] })).toThrow(/^name: must be lower-case letters/);
    expect(() => ImageComponent.fromSteps({ name: 'web', files: [{ path: 'opt/web/x', content: '' }], buildCommands: ['true'] })).toThrow(
      "component 'web' files[0].path: must be an absolute file path, e.g. /opt/web/server.py. Got \"opt/web/x\".",
    );
    expect(() => ImageComponent.fromSteps({ name: 'web', files: [{ path: '/x', content: '', permissions: '999' }], buildCommands: ['true'] })).toThrow(/files\[0\]\.permissions: must be octal/);
    expect(() => ImageComponent.fromSteps({ name: 'web', files: [{ path: '/x', content: 'x'.repeat(20_000) }], buildCommands: ['true'] })).toThrow(
      /component 'web': the document exceeds the 16000 characters CloudFormation accepts inline/,
    );
  });

  it('rejects component files that are missing or not AWSTOE documents', () => {
    expect(() => ImageComponent.fromFile('/nonexistent/app.yaml')).toThrow("ImageComponent.fromFile: cannot read '/nonexistent/app.yaml' (ENOENT). Create the file or fix the path.");
    const notToe = tempFile('notes.yaml', 'hello: world\n');
    expect(() => ImageComponent.fromFile(notToe)).toThrow(/is not an AWSTOE document: it needs top-level 'schemaVersion' and 'phases'/);
    const badName = tempFile('My App.yaml', 'schemaVersion: 1.0\nphases:\n  - name: build\n    steps: []\n');
    expect(() => ImageComponent.fromFile(badName)).toThrow(/component file name 'My App.yaml' \(or pass \{ name \}\): must be lower-case/);
  });
});
