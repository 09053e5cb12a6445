import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { AMI_ID, SSM_NAME } from '../../lib/contract';
import { ImageArchitecture } from './image-architecture';

/**
 * What an `ImageSource` resolves to inside a stack.
 */
export interface ImageSourceConfig {
  /** The AMI id (a literal, or a token resolved at deploy). */
  readonly imageId: string;
  /**
   * A string known at synth that changes exactly when the image changes.
   *
   * The release guard compares it to what the live colour last deployed, so it must not be a token.
   */
  readonly fingerprint: string;
  /**
   * Regions where the image exists.
   *
   * @default - unknown: any region is accepted
   */
  readonly regions?: string[];
  /**
   * CPU architecture the image runs on; a colour's instance type must match it.
   *
   * @default - unknown: any instance type is accepted
   */
  readonly architecture?: ec2.InstanceArchitecture;
}

/**
 * The machine image a colour runs.
 *
 * @example
 * ImageSource.fromAmiId('ami-0123456789abcdef0');
 */
export abstract class ImageSource {
  /**
   * A fixed AMI id. The most predictable source: it changes only when you change it.
   *
   * @param amiId `ami-` followed by 8 or 17 hexadecimal digits
   */
  public static fromAmiId(amiId: string): ImageSource {
    if (!Token.isUnresolved(amiId) && !AMI_ID.test(amiId)) {
      throw new Error(
        `image: malformed AMI id '${amiId}'. Expected 'ami-' followed by 8 or 17 lower-case hex digits, e.g. ami-0123456789abcdef0.`,
      );
    }
    return new AmiIdSource(amiId);
  }

  /**
   * The AMI id held by an SSM parameter, resolved by CloudFormation at each deploy.
   *
   * A deploy after the parameter changes updates the launch template, so prefer a fixed AMI id for a colour
   * that serves traffic.
   */
  public static fromSsmParameter(parameterName: string): ImageSource {
    if (!Token.isUnresolved(parameterName) && !SSM_NAME.test(parameterName)) {
      throw new Error(
        `image: malformed SSM parameter name '${parameterName}'. Use a path such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64.`,
      );
    }
    return new SsmParameterSource(parameterName);
  }

  /**
   * An image baked in the stack by `BakedImage`.
   *
   * In the image's own stack the colour gets the AMI id straight from the bake (`Fn::GetAtt`); in any other stack,
   * including one in a distribution Region, it reads the SSM parameter the distribution writes in that Region.
   * The fingerprint `baked:<image name>@<version>` changes exactly when the image content does.
   *
   * @example
   * ImageSource.fromBakedImage(webImage);
   */
  public static fromBakedImage(image: IBakedImage): ImageSource {
    return new BakedImageSource(image);
  }

  /**
   * Parse an image reference from a release manifest: `ami-...` or `ssm:<parameter name>`.
   *
   * Other forms (such as baked images) are resolved by `resolvers`, tried in order.
   */
  public static fromManifestEntry(entry: string, resolvers: IImageResolver[] = [], where = 'image'): ImageSource {
    for (const resolver of resolvers) {
      const found = resolver.resolveImage(entry);
      if (found) {
        return found;
      }
    }
    try {
      if (entry.startsWith('ssm:')) {
        return ImageSource.fromSsmParameter(entry.slice('ssm:'.length));
      }
      if (entry.startsWith('ami-')) {
        return ImageSource.fromAmiId(entry);
      }
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message.replace(/^image: /, '')}`);
    }
    throw new Error(
      `${where}: unrecognised image '${entry}'. Use an AMI id (ami-0123456789abcdef0), 'ssm:<parameter name>'` +
        (resolvers.length ? `, or one of: ${resolvers.map((r) => r.describeForms()).join(', ')}.` : '.'),
    );
  }

  /** Resolve the image for use in `scope`'s stack. */
  public abstract bind(scope: Construct): ImageSourceConfig;
}

/**
 * Turns a manifest image reference of its own form into an `ImageSource`.
 */
export interface IImageResolver {
  /** The source for `entry`, or `undefined` when the entry is not of this resolver's form. */
  resolveImage(entry: string): ImageSource | undefined;
  /** The forms this resolver accepts, for error messages, e.g. `baked:<image name>`. */
  describeForms(): string;
}

/**
 * An image baked in a stack, as `ImageSource.fromBakedImage` needs it.
 */
export interface IBakedImage extends IConstruct {
  /** Name of the image, as release manifests refer to it (`baked:<image name>`). */
  readonly imageName: string;
  /** Content version, known at synth: it changes exactly when what the image contains changes. */
  readonly version: string;
  /** The image's own Region followed by its distribution Regions. */
  readonly regions: string[];
  /** CPU architecture the image is built for. */
  readonly architecture: ImageArchitecture;
  /**
   * The AMI id for use in `scope`'s stack.
   *
   * @throws when `scope`'s Region is not one the image is distributed to
   */
  imageIdFor(scope: Construct): string;
}

class AmiIdSource extends ImageSource {
  constructor(private readonly amiId: string) {
    super();
  }

  public bind(): ImageSourceConfig {
    return { imageId: this.amiId, fingerprint: Token.isUnresolved(this.amiId) ? 'ami:token' : this.amiId };
  }
}

class SsmParameterSource extends ImageSource {
  constructor(private readonly parameterName: string) {
    super();
  }

  public bind(scope: Construct): ImageSourceConfig {
    const image = ec2.MachineImage.fromSsmParameter(this.parameterName).getImage(scope);
    return { imageId: image.imageId, fingerprint: `ssm:${this.parameterName}` };
  }
}

class BakedImageSource extends ImageSource {
  constructor(private readonly image: IBakedImage) {
    super();
  }

  public bind(scope: Construct): ImageSourceConfig {
    return {
      imageId: this.image.imageIdFor(scope),
      fingerprint: `baked:${this.image.imageName}@${this.image.version}`,
      regions: this.image.regions,
      architecture: this.image.architecture.instanceArchitecture,
    };
  }
}
