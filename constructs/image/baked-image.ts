import { Annotations, Aspects, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ImageDistributionRegion } from './distribution-region';
import { ImageArchitecture } from './image-architecture';
import { ComponentDocument, ImageComponent } from './image-component';
import { IBakedImage, IImageResolver, ImageSource } from './image-source';
import { ParentImage } from './parent-image';
import { contentVersion } from './private/content-version';
import { buildInstancePolicy, lifecycleRole } from './private/image-policies';
import { PinImmutableTags } from './private/pin-tags';
import { checkRegions, collectDocuments, resolveInstanceTypes, resourceBaseName, validateProps } from './private/props';
import { bashStep, fileSteps, shellQuote, toeDocument } from './private/toe-document';
import { IMAGE_TAG_KEY, RETAIN_TAG_KEY, RETAIN_TAG_VALUE, VERSION_TAG_KEY } from '../../lib/contract';

/** Properties of a baked image. */
export interface BakedImageProps {
  /**
   * Name of the image: lower-case letters, digits and hyphens, starting with a letter, at most 40 characters.
   * Release manifests refer to it as `baked:<image name>`.
   */
  readonly imageName: string;
  /** What goes into the image, in order. At most 19 documents (Image Builder allows 20 per recipe; one is ours). */
  readonly components: ImageComponent[];
  /** VPC of the build and test instances. They need outbound HTTPS (NAT or VPC endpoints) to reach AWS APIs. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnet of the build and test instances (the first selected subnet is used).
   *
   * @default - private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The image to start from.
   *
   * @default ParentImage.amazonLinux2023(ImageArchitecture.X86_64)
   */
  readonly parentImage?: ParentImage;
  /**
   * Instance types that build and test the image; they must match the parent's architecture.
   *
   * @default - t3.medium for x86_64, t4g.medium for arm64
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * Whether build instances may connect anywhere. By default they may only make HTTPS connections, which is what
   * AWS APIs and the Amazon Linux package repositories need.
   *
   * @default false
   */
  readonly allowAllOutbound?: boolean;
  /**
   * Root volume size of the image in GiB (8 to 16384). Launch templates using the image need at least this size.
   *
   * @default 8
   */
  readonly rootVolumeSize?: number;
  /**
   * Device name of the root volume of the parent image.
   *
   * @default '/dev/xvda' (Amazon Linux)
   */
  readonly rootDeviceName?: string;
  /**
   * Regions the image is copied to after each bake, e.g. for disaster recovery. Each gets the SSM parameter
   * `ssmParameterName` with the AMI id of its copy.
   *
   * @default - none: the image exists only in the stack's Region
   */
  readonly distributionRegions?: ImageDistributionRegion[];
  /**
   * KMS key encrypting the image's snapshots in the stack's Region. The key policy is extended so that Auto Scaling
   * can launch instances from the image.
   *
   * @default - the AWS managed EBS key (aws/ebs)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Images kept by the lifecycle policy (3 to 1000): older ones are deleted with their AMIs and snapshots, except
   * AMIs launched recently or tagged `bluegreen:retain=true`.
   *
   * @default 5
   */
  readonly keepImages?: number;
  /**
   * AMIs that launched an instance within this time are never deleted by the lifecycle policy (1 to 365 whole days).
   *
   * @default Duration.days(30)
   */
  readonly protectLaunchedWithin?: Duration;
  /**
   * Bucket for build logs.
   *
   * @default - a new encrypted, SSL-only bucket with public access blocked
   */
  readonly logBucket?: s3.IBucket;
  /**
   * How long build logs are kept (in the log bucket the construct creates and in CloudWatch Logs).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Topic that receives Image Builder's build notifications. If it is encrypted, its key must let Image Builder's
   * service-linked role (AWSServiceRoleForImageBuilder) use it.
   *
   * @default - none
   */
  readonly notificationsTopic?: sns.ITopic;
}

/** Key prefix of build logs in the log bucket. */
const LOG_PREFIX = 'image-builder';

/**
 * An AMI baked by EC2 Image Builder during `cdk deploy`, versioned by its content.
 *
 * Components and the recipe get a semantic version derived from a sha256 of their content, so any change bakes a
 * new image and identical content gives a byte-identical template. Each image records its identity in
 * `/etc/bluegreen/image.json`. The AMI id flows into the launch template of each colour that uses the image
 * (`"image": "baked:<name>"` in the release manifest, with the image passed as an image resolver).
 *
 * @example
 * const web = new BakedImage(this, 'WebImage', {
 *   imageName: 'web',
 *   vpc,
 *   components: [ImageComponent.fromSteps({ name: 'web', buildCommands: ['dnf install -y nginx'] })],
 *   distributionRegions: [{ region: 'eu-central-1' }],
 * });
 * new BlueGreenService(this, 'Web', { serviceName: 'web', release, vpc, imageResolvers: [web] });
 */
export class BakedImage extends Construct implements IBakedImage, IImageResolver, iam.IGrantable, ec2.IConnectable {
  /** File on every baked image with its identity: `{"image", "version", "fingerprint"}`. */
  public static readonly IDENTITY_FILE = '/etc/bluegreen/image.json';
  /** Key of the AMI tag that keeps an AMI from the lifecycle policy (set it on AMIs colours run). */
  public static readonly RETAIN_TAG_KEY = RETAIN_TAG_KEY;
  /** Value of the retain tag. */
  public static readonly RETAIN_TAG_VALUE = RETAIN_TAG_VALUE;

  /** Name of the image. */
  public readonly imageName: string;
  /** Content version (`1.<n>.<n>`), known at synth. */
  public readonly version: string;
  /** `baked:<image name>@<version>`: what colours running this image record as their image. */
  public readonly fingerprint: string;
  /** Name of the Image Builder recipe, components (as prefix) and configurations: `<stack>-<image name>`. */
  public readonly resourceName: string;
  /** Architecture of the image. */
  public readonly architecture: ImageArchitecture;
  /** The stack's Region followed by the distribution Regions. */
  public readonly regions: string[];
  /** SSM parameter that holds the AMI id in each Region after a bake. */
  public readonly ssmParameterName: string;
  /** The Image Builder image: creating it bakes the AMI. */
  public readonly image: imagebuilder.CfnImage;
  /** The recipe. */
  public readonly recipe: imagebuilder.CfnImageRecipe;
  /** The components, identity component first, in recipe order. */
  public readonly components: imagebuilder.CfnComponent[];
  /** Where and how the build and test instances run. */
  public readonly infrastructureConfiguration: imagebuilder.CfnInfrastructureConfiguration;
  /** Regions, encryption and SSM parameters of the output. */
  public readonly distributionConfiguration: imagebuilder.CfnDistributionConfiguration;
  /** Deletes images beyond `keepImages`. */
  public readonly lifecyclePolicy: imagebuilder.CfnLifecyclePolicy;
  /** Role the lifecycle policy runs as. */
  public readonly lifecycleRole: iam.Role;
  /** Policy of `lifecycleRole`: finds and deletes this image's old AMIs and snapshots. */
  public readonly lifecycleRolePolicy: iam.Policy;
  /** Policy of the build and test instances (SSM agent, components, logs). */
  public readonly instancePolicy: iam.Policy;
  /** Role of the build and test instances. */
  public readonly instanceRole: iam.Role;
  /** Security group of the build and test instances: no inbound rules. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Bucket with the build logs. */
  public readonly logBucket: s3.IBucket;
  /** CloudWatch log group of the bakes. */
  public readonly logGroup: logs.LogGroup;
  public readonly connections: ec2.Connections;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: BakedImageProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validateProps(props);
    const parent = props.parentImage ?? ParentImage.amazonLinux2023();
    const instanceTypes = resolveInstanceTypes(props.instanceTypes, parent.architecture);
    const extraRegions = checkRegions(props.distributionRegions ?? [], stack.region);
    this.architecture = parent.architecture;
    this.imageName = props.imageName;
    this.resourceName = resourceBaseName(stack, props.imageName);
    this.ssmParameterName = `/imagebuilder/bluegreen/${this.resourceName}`;
    this.regions = [stack.region, ...extraRegions.map((r) => r.region)];

    const userComponents = collectDocuments(props.components).map((d) => this.createComponent(d));
    const recipeSpec = recipeSpecOf(props, parent);
    // The version covers everything that changes what ends up in each Region; the identity component, which
    // records the version, is left out so the version does not depend on itself.
    this.version = contentVersion({
      recipe: stack.resolve(recipeSpec),
      components: userComponents.map((c) => [c.name, c.version]),
      distribution: stack.resolve([props.encryptionKey?.keyArn ?? null, extraRegions]),
    });
    this.fingerprint = `baked:${this.imageName}@${this.version}`;
    this.components = [this.createComponent(this.identityDocument()), ...userComponents];
    this.recipe = new imagebuilder.CfnImageRecipe(this, 'Recipe', {
      name: this.resourceName,
      version: this.version,
      components: this.components.map((c) => ({ componentArn: c.attrArn })),
      ...recipeSpec,
    });

    this.logBucket = props.logBucket ?? this.createLogBucket(props.logRetention);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/imagebuilder/${this.resourceName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Image Builder build and test instances of ${props.imageName}`,
    });
    this.grantPrincipal = this.instanceRole;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Image Builder instances of ${props.imageName}: no inbound; outbound ${props.allowAllOutbound ? 'anywhere' : 'HTTPS only'}`,
      allowAllOutbound: props.allowAllOutbound ?? false,
    });
    if (!props.allowAllOutbound) {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and package repositories');
    }
    this.connections = this.securityGroup.connections;
    const instancePolicy = this.grantBuildInstance();
    this.instancePolicy = instancePolicy;
    this.infrastructureConfiguration = this.createInfrastructure(props, instanceTypes);
    this.distributionConfiguration = new imagebuilder.CfnDistributionConfiguration(this, 'Distribution', {
      name: this.resourceName,
      description: `Regions of ${props.imageName}; each gets ${this.ssmParameterName}`,
      distributions: [{ region: stack.region, kmsKeyArn: props.encryptionKey?.keyArn }, ...extraRegions].map((r) => this.distribution(r)),
    });
    this.image = this.createImage(instancePolicy);

    const retention = this.createLifecyclePolicy(props);
    this.lifecyclePolicy = retention.policy;
    this.lifecycleRole = retention.role;
    this.lifecycleRolePolicy = retention.rolePolicy;
    this.allowAutoScalingToUse(props.encryptionKey);
    this.addWarnings(props, parent);
  }

  /** The AMI id in the stack's Region (available once the bake finished). */
  public get imageId(): string {
    return this.image.attrImageId;
  }

  /**
   * The AMI id for `scope`'s stack: the bake's output in this image's stack, otherwise the SSM parameter the
   * distribution writes in that stack's Region.
   *
   * @throws when the Region is not one the image is distributed to
   */
  public imageIdFor(scope: Construct): string {
    const consumer = Stack.of(scope);
    if (consumer === Stack.of(this)) return this.image.attrImageId;
    this.checkConsumer(consumer);
    return ec2.MachineImage.fromSsmParameter(this.ssmParameterName).getImage(scope).imageId;
  }

  /** Resolves `baked:<image name>` in release manifests to this image. */
  public resolveImage(entry: string): ImageSource | undefined {
    return entry === `baked:${this.imageName}` ? ImageSource.fromBakedImage(this) : undefined;
  }

  public describeForms(): string {
    return `baked:${this.imageName}`;
  }

  /** Attach the build instance's policy; the image waits for it, so the first build never lacks permissions. */
  private grantBuildInstance(): iam.Policy {
    const policy = buildInstancePolicy(this, 'InstancePolicy', {
      componentArns: this.components.map((c) => c.attrArn),
      logObjectsArn: this.logBucket.arnForObjects(`${LOG_PREFIX}/*`),
      logGroupName: this.logGroup.logGroupName,
      logGroupArn: this.logGroup.logGroupArn,
    });
    this.instanceRole.attachInlinePolicy(policy);
    this.logBucket.encryptionKey?.grantEncrypt(this.instanceRole);
    return policy;
  }

  private createInfrastructure(props: BakedImageProps, instanceTypes: string[]): imagebuilder.CfnInfrastructureConfiguration {
    const instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.instanceRole });
    return new imagebuilder.CfnInfrastructureConfiguration(this, 'Infrastructure', {
      name: this.resourceName,
      description: `Build and test instances of ${props.imageName}`,
      instanceProfileName: instanceProfile.instanceProfileName,
      instanceTypes,
      subnetId: props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds[0],
      securityGroupIds: [this.securityGroup.securityGroupId],
      instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      logging: { s3Logs: { s3BucketName: this.logBucket.bucketName, s3KeyPrefix: LOG_PREFIX } },
      terminateInstanceOnFailure: true,
      snsTopicArn: props.notificationsTopic?.topicArn,
      resourceTags: { [IMAGE_TAG_KEY]: this.resourceName },
    });
  }

  private createImage(instancePolicy: iam.Policy): imagebuilder.CfnImage {
    const image = new imagebuilder.CfnImage(this, 'Resource', {
      imageRecipeArn: this.recipe.attrArn,
      infrastructureConfigurationArn: this.infrastructureConfiguration.attrArn,
      distributionConfigurationArn: this.distributionConfiguration.attrArn,
      imageTestsConfiguration: { imageTestsEnabled: true },
      enhancedImageMetadataEnabled: true,
      loggingConfiguration: { logGroupName: this.logGroup.logGroupName },
    });
    // Components, recipes and images are immutable: CloudFormation replaces them when their tags change, and a
    // replaced component or recipe would reuse its name and version, which Image Builder refuses. Their tags are
    // therefore fixed here and tags propagated from scopes above are dropped.
    Aspects.of(this).add(new PinImmutableTags({ [IMAGE_TAG_KEY]: this.resourceName }, { [VERSION_TAG_KEY]: this.version }));
    // A replaced image's AMI may still run the live colour or be a rollback target. CloudFormation keeps the Image
    // Builder image (Image Builder would not deregister its AMI anyway without DeletionSettings), so that the
    // lifecycle policy, which honours the keep-count and the exclusions, is what deletes old images.
    image.applyRemovalPolicy(RemovalPolicy.RETAIN);
    image.node.addDependency(instancePolicy);
    return image;
  }

  private createComponent(doc: ComponentDocument): imagebuilder.CfnComponent {
    const spec = { name: `${this.resourceName}-${doc.name}`, platform: 'Linux', description: doc.description, data: doc.data };
    return new imagebuilder.CfnComponent(this, `Component-${doc.name}`, { ...spec, version: contentVersion(Stack.of(this).resolve(spec)) });
  }

  private identityDocument(): ComponentDocument {
    const identity = JSON.stringify({ image: this.imageName, version: this.version, fingerprint: this.fingerprint });
    const description = `Identity of ${this.imageName}: records the image version in ${BakedImage.IDENTITY_FILE}`;
    const steps = fileSteps([{ path: BakedImage.IDENTITY_FILE, content: identity + '\n', permissions: '0644' }]);
    const check = bashStep('CheckIdentity', [`grep -qF ${shellQuote(`"version":"${this.version}"`)} ${BakedImage.IDENTITY_FILE}`]);
    return { name: 'identity', description, testStage: false, data: toeDocument('identity', description, [{ name: 'build', steps }, { name: 'validate', steps: [check] }]) };
  }

  private distribution(r: ImageDistributionRegion): imagebuilder.CfnDistributionConfiguration.DistributionProperty {
    return {
      region: r.region,
      // AmiDistributionConfiguration is untyped in the L1, so its keys are written as CloudFormation spells them.
      amiDistributionConfiguration: {
        Name: `${this.resourceName}-${this.version}-{{imagebuilder:buildDate}}`,
        Description: `${this.imageName} ${this.version}, baked by cdk-bluegreen`,
        AmiTags: { [IMAGE_TAG_KEY]: this.resourceName, [VERSION_TAG_KEY]: this.version },
        ...(r.kmsKeyArn ? { KmsKeyId: r.kmsKeyArn } : {}),
      },
      // Image Builder's service-linked role may write parameters only under /imagebuilder/.
      ssmParameterConfigurations: [{ parameterName: this.ssmParameterName, dataType: 'aws:ec2:image' }],
    };
  }

  private createLifecyclePolicy(props: BakedImageProps) {
    const keep = props.keepImages ?? 5;
    const days = (props.protectLaunchedWithin ?? Duration.days(30)).toDays();
    const { role, policy: rolePolicy } = lifecycleRole(this, 'LifecycleRole', {
      imageTag: this.resourceName,
      imageResourceName: this.resourceName,
      regions: this.regions,
    });
    const policy = new imagebuilder.CfnLifecyclePolicy(this, 'Retention', {
      name: `${this.resourceName}-retention`,
      description: `Keeps the newest ${keep} images of ${this.imageName}; never deletes AMIs launched within ${days} days or tagged ${BakedImage.RETAIN_TAG_KEY}=${BakedImage.RETAIN_TAG_VALUE}.`,
      executionRole: role.roleArn,
      resourceType: 'AMI_IMAGE',
      status: 'ENABLED',
      resourceSelection: { tagMap: { [IMAGE_TAG_KEY]: this.resourceName } },
      policyDetails: [
        {
          action: { type: 'DELETE', includeResources: { amis: true, snapshots: true } },
          filter: { type: 'COUNT', value: keep },
          exclusionRules: { amis: { lastLaunched: { unit: 'DAYS', value: days }, tagMap: { [BakedImage.RETAIN_TAG_KEY]: BakedImage.RETAIN_TAG_VALUE } } },
        },
      ],
    });
    policy.node.addDependency(rolePolicy);
    return { policy, role, rolePolicy };
  }

  private createLogBucket(retention?: logs.RetentionDays): s3.Bucket {
    const days = retention ?? logs.RetentionDays.ONE_YEAR;
    return new s3.Bucket(this, 'LogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: days === logs.RetentionDays.INFINITE ? [] : [{ expiration: Duration.days(days) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Auto Scaling launches through its service-linked role, which a customer key must name in its key policy. */
  private allowAutoScalingToUse(key?: kms.IKey) {
    if (!key) return;
    const stack = Stack.of(this);
    // Named by condition, not as principal: the role may not exist yet in a fresh account.
    const conditions = {
      StringEquals: { 'aws:PrincipalAccount': stack.account },
      ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling*` },
    };
    const use = key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { ...conditions, Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    if (!use.statementAdded) {
      Annotations.of(this).addWarningV2(
        'cdk-bluegreen:imageKeyPolicy',
        `encryptionKey: the key is imported, so its policy cannot be extended. Let the Auto Scaling service-linked role (AWSServiceRoleForAutoScaling) use it, or launches from ${this.imageName} fail.`,
      );
    }
  }

  private checkConsumer(consumer: Stack) {
    const home = Stack.of(this);
    if (!Token.isUnresolved(consumer.account) && !Token.isUnresolved(home.account) && consumer.account !== home.account) {
      throw new Error(
        `image '${this.imageName}': stack ${consumer.stackName} is in account ${consumer.account}, the image in ${home.account}. Bake the image in that account, or pin the colour to a shared AMI id.`,
      );
    }
    const known = this.regions.every((r) => !Token.isUnresolved(r));
    if (!Token.isUnresolved(consumer.region) && known && !this.regions.includes(consumer.region)) {
      throw new Error(
        `image '${this.imageName}' is not distributed to ${consumer.region} (stack ${consumer.stackName}); it exists in ${this.regions.join(', ')}. ` +
          `Add { region: '${consumer.region}' } to distributionRegions of ${this.node.path}, or pin the colour to an AMI id that exists in ${consumer.region}.`,
      );
    }
  }

  private addWarnings(props: BakedImageProps, parent: ParentImage) {
    const warn = (id: string, message: string) => Annotations.of(this).addWarningV2(`cdk-bluegreen:${id}`, message);
    for (const component of props.components) {
      component.warnings.forEach((w) => warn('componentPhases', w));
    }
    if (parent.isToken) {
      warn('parentImageToken', 'parentImage is resolved at deploy time, so the image version cannot follow it: a changed parent rebakes nothing until a component changes.');
    }
    const parameter = parent.reference.startsWith('ssm:') ? parent.reference.slice(4) : undefined;
    if (parameter && !parent.isToken && !/^(\/aws\/service\/|\/imagebuilder\/|arn:)/.test(parameter)) {
      warn('parentImageParameter', `parentImage: Image Builder's service-linked role reads only public parameters and private ones under /imagebuilder/; it cannot read ${parameter}.`);
    }
  }
}

/** Recipe properties other than name, version and components. */
function recipeSpecOf(props: BakedImageProps, parent: ParentImage) {
  return {
    parentImage: parent.reference,
    blockDeviceMappings: [
      {
        deviceName: props.rootDeviceName ?? '/dev/xvda',
        ebs: { volumeSize: props.rootVolumeSize ?? 8, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
      },
    ],
    additionalInstanceConfiguration: { systemsManagerAgent: { uninstallAfterBuild: false } },
    description: `${props.imageName}, baked by cdk-bluegreen`,
  };
}

