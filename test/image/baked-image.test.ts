import { CfnParameter, Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Annotations, Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BakedImage, ImageArchitecture, ImageComponent, ImageSource, ParentImage } from '../../constructs';
import { ACCOUNT, buildImage, DR_REGION, freshApp, HOME_REGION, onlyResource, parseYaml, resources, resourcesOfType, webComponent } from './fixtures';

describe('BakedImage', () => {
  it('creates components, a recipe, infrastructure and distribution configurations and an image whose tests run', () => {
    // GIVEN / WHEN
    const { image, template } = buildImage();
    const t = template();
    // THEN the web component becomes a build and a test component, plus the identity component
    t.resourceCountIs('AWS::ImageBuilder::Component', 3);
    t.hasResourceProperties('AWS::ImageBuilder::Component', { Name: 'home-web-web', Platform: 'Linux', Version: Match.stringLikeRegexp('^1\\.\\d+\\.\\d+$') });
    t.hasResourceProperties('AWS::ImageBuilder::Component', { Name: 'home-web-web-test' });
    t.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { Name: 'home-web', Version: image.version });
    t.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', { Name: 'home-web' });
    t.hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', { Name: 'home-web' });
    t.hasResourceProperties('AWS::ImageBuilder::Image', {
      ImageRecipeArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Recipe'), 'Arn'] },
      InfrastructureConfigurationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Infrastructure'), 'Arn'] },
      DistributionConfigurationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Distribution'), 'Arn'] },
      ImageTestsConfiguration: { ImageTestsEnabled: true },
    });
    expect(image.fingerprint).toBe(`baked:web@${image.version}`);
  });

  it('starts from Amazon Linux 2023 through its public SSM parameter, for the chosen architecture', () => {
    // GIVEN / WHEN
    const x86 = buildImage().template();
    const arm = buildImage({ parentImage: ParentImage.amazonLinux2023(ImageArchitecture.ARM_64) }).template();
    // THEN
    x86.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { ParentImage: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
    x86.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', { InstanceTypes: ['t3.medium'] });
    arm.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { ParentImage: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' });
    arm.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', { InstanceTypes: ['t4g.medium'] });
  });

  it('takes any AMI id or SSM parameter as parent', () => {
    // GIVEN / WHEN
    const fromAmi = buildImage({ parentImage: ParentImage.fromAmiId('ami-0fedcba9876543210') }).template();
    const fromParam = buildImage({ parentImage: ParentImage.fromSsmParameter('/imagebuilder/golden/al2023') }).template();
    // THEN
    fromAmi.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { ParentImage: 'ami-0fedcba9876543210' });
    fromParam.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { ParentImage: 'ssm:/imagebuilder/golden/al2023' });
  });

  it('locks build instances down: IMDSv2, its own security group without inbound rules, terminate on failure', () => {
    // GIVEN / WHEN
    const t = buildImage().template();
    // THEN
    const sg = new Capture();
    t.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', {
      InstanceMetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      TerminateInstanceOnFailure: true,
      SecurityGroupIds: [{ 'Fn::GetAtt': [sg, 'GroupId'] }],
      SubnetId: { Ref: Match.stringLikeRegexp('VpcPrivateSubnet') },
    });
    const group = resources(t)[sg.asString()];
    expect(group.Properties).toMatchObject({
      GroupDescription: expect.stringContaining('no inbound'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
    });
    expect(group.Properties?.SecurityGroupIngress).toBeUndefined();
    expect(Object.values(resourcesOfType(t, 'AWS::EC2::SecurityGroupIngress'))).toEqual([]);
  });

  it('writes build logs to an encrypted, SSL-only bucket with public access blocked', () => {
    // GIVEN / WHEN
    const t = buildImage().template();
    // THEN
    const bucket = new Capture();
    t.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', { Logging: { S3Logs: { S3BucketName: { Ref: bucket }, S3KeyPrefix: 'image-builder' } } });
    expect(resources(t)[bucket.asString()].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket.asString() },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::ImageBuilder::Image', { LoggingConfiguration: { LogGroupName: Match.anyValue() } });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/imagebuilder/home-web', RetentionInDays: 365 });
  });

  it('uses no AWS managed policies, and allows "*" only for agent, inventory and discovery actions', () => {
    // GIVEN / WHEN
    const t = buildImage().template();
    // THEN
    for (const role of Object.values(resourcesOfType(t, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
    const starActions = Object.values(resourcesOfType(t, 'AWS::IAM::Policy'))
      .flatMap((p) => (p.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement)
      .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')))
      .flatMap((s) => [s.Action].flat())
      .sort();
    expect(starActions).toEqual(
      [
        // SSM agent on the build instance (own instance unknown before launch; ssmmessages/ec2messages have no resources)
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
        // inventory association for enhanced image metadata
        'ssm:DescribeAssociation',
        'ssm:GetDocument',
        'ssm:ListInstanceAssociations',
        'ssm:PutComplianceItems',
        'ssm:PutInventory',
        'ssm:UpdateInstanceAssociationStatus',
        // lifecycle policy discovery
        'ec2:DescribeImages',
        'tag:GetResources',
      ].sort(),
    );
  });

  it('lets build instances read exactly its own components', () => {
    // GIVEN / WHEN
    const t = buildImage().template();
    // THEN
    const components = Object.keys(resourcesOfType(t, 'AWS::ImageBuilder::Component')).sort();
    const statement = new Capture();
    t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'Components', Resource: statement })]) } });
    const arns = (statement.asArray() as Array<{ 'Fn::GetAtt': [string, string] }>).map((r) => r['Fn::GetAtt'][0]).sort();
    expect(arns).toEqual(components);
  });

  it('distributes to the extra Regions and writes the AMI id to an SSM parameter in each', () => {
    // GIVEN / WHEN
    const { image, template } = buildImage();
    // THEN
    const ssm = [{ ParameterName: '/imagebuilder/bluegreen/home-web', DataType: 'aws:ec2:image' }];
    template().hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', {
      Distributions: [
        Match.objectLike({ Region: HOME_REGION, SsmParameterConfigurations: ssm, AmiDistributionConfiguration: Match.objectLike({ AmiTags: { 'bluegreen:image': 'home-web', 'bluegreen:version': image.version } }) }),
        Match.objectLike({ Region: DR_REGION, SsmParameterConfigurations: ssm }),
      ],
    });
    expect(image.regions).toEqual([HOME_REGION, DR_REGION]);
    expect(image.ssmParameterName).toBe('/imagebuilder/bluegreen/home-web');
  });

  it('encrypts the AMI with the given KMS key per Region and lets Auto Scaling launch from it', () => {
    // GIVEN
    const app = freshApp();
    const { stack } = buildImage({}, app);
    const key = new kms.Key(stack, 'AmiKey', { enableKeyRotation: true });
    // WHEN
    new BakedImage(stack, 'Encrypted', {
      imageName: 'secure',
      vpc: stack.node.findChild('Vpc') as ec2.IVpc,
      components: [webComponent()],
      encryptionKey: key,
      distributionRegions: [{ region: DR_REGION, kmsKeyArn: 'arn:aws:kms:eu-central-1:111111111111:key/dr' }],
    });
    const t = Template.fromStack(stack);
    // THEN
    t.hasResourceProperties('AWS::ImageBuilder::DistributionConfiguration', {
      Name: 'home-secure',
      Distributions: [
        Match.objectLike({ Region: HOME_REGION, AmiDistributionConfiguration: Match.objectLike({ KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AmiKey'), 'Arn'] } }) }),
        Match.objectLike({ Region: DR_REGION, AmiDistributionConfiguration: Match.objectLike({ KmsKeyId: 'arn:aws:kms:eu-central-1:111111111111:key/dr' }) }),
      ],
    });
    const grant = new Capture();
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:CreateGrant', Condition: Match.objectLike({ Bool: { 'kms:GrantIsForAWSResource': true }, ArnLike: { 'aws:PrincipalArn': grant } }) }),
        ]),
      },
    });
    expect(JSON.stringify(grant.asObject())).toContain('role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling');
  });

  it('keeps the newest images with a lifecycle policy that spares recently launched and retained AMIs', () => {
    // GIVEN / WHEN
    const t = buildImage({ keepImages: 7, protectLaunchedWithin: Duration.days(14) }).template();
    // THEN
    t.hasResourceProperties('AWS::ImageBuilder::LifecyclePolicy', {
      ResourceType: 'AMI_IMAGE',
      Status: 'ENABLED',
      ResourceSelection: { TagMap: { 'bluegreen:image': 'home-web' } },
      PolicyDetails: [
        {
          Action: { Type: 'DELETE', IncludeResources: { Amis: true, Snapshots: true } },
          Filter: { Type: 'COUNT', Value: 7 },
          ExclusionRules: { Amis: { LastLaunched: { Unit: 'DAYS', Value: 14 }, TagMap: { 'bluegreen:retain': 'true' } } },
        },
      ],
    });
    // the images carry the tag the policy selects
    t.hasResourceProperties('AWS::ImageBuilder::Image', { Tags: Match.objectLike({ 'bluegreen:image': 'home-web' }) });
  });

  it('retains replaced images, so the lifecycle policy and not CloudFormation decides when an AMI goes', () => {
    // GIVEN / WHEN
    const t = buildImage().template();
    // THEN
    t.hasResource('AWS::ImageBuilder::Image', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', DependsOn: [Match.stringLikeRegexp('InstancePolicy')] });
    expect(onlyResource(t, 'AWS::ImageBuilder::Image').Properties?.DeletionSettings).toBeUndefined();
  });

  it('records its identity in the image, in the first component of the recipe', () => {
    // GIVEN / WHEN
    const { image, template } = buildImage();
    const t = template();
    // THEN
    const identity = Object.entries(resourcesOfType(t, 'AWS::ImageBuilder::Component')).find(([, c]) => c.Properties?.Name === 'home-web-identity');
    expect(identity).toBeDefined();
    const doc = parseYaml(identity![1].Properties!.Data as string) as { phases: Array<{ steps: Array<{ action: string; inputs: unknown }> }> };
    const created = doc.phases[0].steps.find((s) => s.action === 'CreateFile')!.inputs as Array<{ path: string; content: string }>;
    expect(created[0].path).toBe(BakedImage.IDENTITY_FILE);
    expect(JSON.parse(created[0].content)).toEqual({ image: 'web', version: image.version, fingerprint: image.fingerprint });
    t.hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { Components: Match.arrayWith([{ ComponentArn: { 'Fn::GetAtt': [identity![0], 'Arn'] } }]) });
    const recipe = onlyResource(t, 'AWS::ImageBuilder::ImageRecipe').Properties as { Components: Array<{ ComponentArn: { 'Fn::GetAtt': string[] } }> };
    expect(recipe.Components[0].ComponentArn['Fn::GetAtt'][0]).toBe(identity![0]);
  });

  it('gives a changed component and the recipe new versions, and leaves unchanged components alone', () => {
    // GIVEN
    const other = ImageComponent.fromSteps({ name: 'tools', buildCommands: ['dnf install -y jq'] });
    const v1 = buildImage({ components: [webComponent('v1'), other] });
    // WHEN
    const v2 = buildImage({ components: [webComponent('v2'), other] });
    // THEN
    const versions = (t: Template) =>
      Object.fromEntries(Object.values(resourcesOfType(t, 'AWS::ImageBuilder::Component')).map((c) => [c.Properties?.Name, c.Properties?.Version]));
    const [a, b] = [versions(v1.template()), versions(v2.template())];
    expect(b['home-web-web']).not.toBe(a['home-web-web']);
    expect(b['home-web-tools']).toBe(a['home-web-tools']);
    expect(b['home-web-web-test']).toBe(a['home-web-web-test']);
    expect(v2.image.version).not.toBe(v1.image.version);
    v2.template().hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { Version: v2.image.version });
    // and the construct IDs (logical IDs) do not move with the version
    expect(Object.keys(resources(v2.template()))).toEqual(Object.keys(resources(v1.template())));
  });

  it('synthesizes identical content to a byte-identical template', () => {
    // GIVEN / WHEN
    const first = JSON.stringify(buildImage().template().toJSON());
    const second = JSON.stringify(buildImage().template().toJSON());
    // THEN
    expect(second).toBe(first);
  });

  it('keeps propagated stack tags off the immutable component, recipe and image', () => {
    // GIVEN
    const { stack, template } = buildImage();
    // WHEN
    Tags.of(stack).add('team', 'payments');
    const t = template();
    // THEN
    for (const type of ['AWS::ImageBuilder::Component', 'AWS::ImageBuilder::ImageRecipe', 'AWS::ImageBuilder::Image']) {
      for (const r of Object.values(resourcesOfType(t, type))) {
        expect(r.Properties?.Tags).not.toHaveProperty('team');
      }
    }
    t.hasResourceProperties('AWS::ImageBuilder::InfrastructureConfiguration', { Tags: { team: 'payments' } });
  });

  it('resolves baked:<image name> in release manifests, and no other name', () => {
    // GIVEN
    const { image } = buildImage();
    // WHEN / THEN
    expect(image.resolveImage('baked:web')).toBeInstanceOf(ImageSource);
    expect(image.resolveImage('baked:api')).toBeUndefined();
    expect(image.resolveImage('ami-0123456789abcdef0')).toBeUndefined();
    expect(image.describeForms()).toBe('baked:web');
  });

  it('reports a component file that mixes a test phase with build phases', async () => {
    // GIVEN
    const fs = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'toe-')), 'mixed.yaml');
    fs.writeFileSync(file, 'name: mixed\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps: []\n  - name: test\n    steps: []\n');
    // WHEN
    const { stack } = buildImage({ components: [ImageComponent.fromFile(file)] });
    // THEN
    Annotations.fromStack(stack).hasWarning('/Home/WebImage', Match.stringLikeRegexp('mixes a test phase with build/validate phases'));
  });

  it('skips validation of deploy-time values (tokens) and warns that the version cannot follow them', () => {
    // GIVEN
    const app = freshApp();
    const { stack } = buildImage({}, app);
    const ami = new CfnParameter(stack, 'ParentAmi', { type: 'String' }).valueAsString;
    // WHEN
    const image = new BakedImage(stack, 'Tokens', {
      imageName: 'tokens',
      vpc: stack.node.findChild('Vpc') as ec2.IVpc,
      components: [webComponent()],
      parentImage: ParentImage.fromAmiId(ami),
      keepImages: Token.asNumber(new CfnParameter(stack, 'Keep', { type: 'Number' }).value),
      rootVolumeSize: Token.asNumber(new CfnParameter(stack, 'Size', { type: 'Number' }).value),
    });
    // THEN
    expect(image.version).toMatch(/^1\.\d+\.\d+$/);
    Template.fromStack(stack).hasResourceProperties('AWS::ImageBuilder::ImageRecipe', { Name: 'home-tokens', ParentImage: { Ref: 'ParentAmi' } });
    Annotations.fromStack(stack).hasWarning('/Home/Tokens', Match.stringLikeRegexp('image version cannot follow it'));
  });

  it('names resources after the stack and the image, and keeps long names within limits', () => {
    // GIVEN
    const app = freshApp();
    const long = new Stack(app, 'Payments-Production-Service-With-A-Very-Long-Stack-Name-That-Keeps-Going', { env: { account: ACCOUNT, region: HOME_REGION } });
    // WHEN
    const image = new BakedImage(long, 'WebImage', { imageName: 'web', vpc: new ec2.Vpc(long, 'Vpc', { maxAzs: 1 }), components: [webComponent()] });
    // THEN
    expect(buildImage().image.resourceName).toBe('home-web');
    expect(image.resourceName).toMatch(/^payments-production-service-with-a-very-long-stack-name-[0-9a-f]{8}$/);
    expect(image.resourceName.length).toBeLessThanOrEqual(64);
  });
});
