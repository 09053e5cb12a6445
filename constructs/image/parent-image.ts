import { Token } from 'aws-cdk-lib';
import { ImageArchitecture } from './image-architecture';
import { AMI_ID, SSM_NAME } from '../../lib/contract';

/**
 * The image a baked image starts from.
 *
 * Image Builder takes an SSM parameter as parent (`ssm:<name>`) and resolves it when it bakes, so the recipe — and
 * the template — stay the same while the parameter moves on. The parent's current value is used by the next bake.
 *
 * @example
 * ParentImage.amazonLinux2023(ImageArchitecture.ARM_64);
 * ParentImage.fromAmiId('ami-0123456789abcdef0', ImageArchitecture.X86_64);
 */
export abstract class ParentImage {
  /**
   * The latest Amazon Linux 2023 (default kernel) from its public SSM parameter.
   *
   * @param architecture defaults to x86_64
   */
  public static amazonLinux2023(architecture: ImageArchitecture = ImageArchitecture.X86_64): ParentImage {
    return new ReferencedParentImage(`ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture.name}`, architecture, false);
  }

  /**
   * A fixed AMI. The most reproducible parent: a new bake starts from exactly the same image.
   *
   * @param amiId `ami-` followed by 8 or 17 hexadecimal digits
   * @param architecture the AMI's architecture; defaults to x86_64
   */
  public static fromAmiId(amiId: string, architecture: ImageArchitecture = ImageArchitecture.X86_64): ParentImage {
    if (!Token.isUnresolved(amiId) && !AMI_ID.test(amiId)) {
      throw new Error(`parentImage: malformed AMI id '${amiId}'. Expected 'ami-' followed by 8 or 17 lower-case hex digits, e.g. ami-0123456789abcdef0.`);
    }
    return new ReferencedParentImage(amiId, architecture, Token.isUnresolved(amiId));
  }

  /**
   * The AMI id held by an SSM parameter, resolved by Image Builder at each bake.
   *
   * Image Builder's service-linked role reads public parameters (`/aws/service/...`) and private parameters under
   * `/imagebuilder/`; a private parameter elsewhere cannot be read by it.
   *
   * @param parameterName e.g. `/imagebuilder/golden/al2023`
   * @param architecture the AMI's architecture; defaults to x86_64
   */
  public static fromSsmParameter(parameterName: string, architecture: ImageArchitecture = ImageArchitecture.X86_64): ParentImage {
    if (!Token.isUnresolved(parameterName) && !SSM_NAME.test(parameterName)) {
      throw new Error(
        `parentImage: malformed SSM parameter name '${parameterName}'. Use a path such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64.`,
      );
    }
    return new ReferencedParentImage(`ssm:${parameterName}`, architecture, Token.isUnresolved(parameterName));
  }

  /** What the recipe's `ParentImage` holds: an AMI id or `ssm:<parameter>`. */
  public abstract readonly reference: string;
  /** Architecture of the parent and therefore of the baked image. */
  public abstract readonly architecture: ImageArchitecture;
  /**
   * Whether the reference is a deploy-time token, so that the image version cannot follow changes to it.
   */
  public abstract readonly isToken: boolean;
}

class ReferencedParentImage extends ParentImage {
  constructor(
    public readonly reference: string,
    public readonly architecture: ImageArchitecture,
    public readonly isToken: boolean,
  ) {
    super();
  }
}
