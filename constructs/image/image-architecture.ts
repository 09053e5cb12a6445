import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * The processor architecture of a baked image.
 *
 * @example
 * ParentImage.amazonLinux2023(ImageArchitecture.ARM_64);
 */
export class ImageArchitecture {
  /** 64-bit x86 (Intel, AMD). */
  public static readonly X86_64 = new ImageArchitecture('x86_64', ec2.InstanceArchitecture.X86_64, 't3.medium');
  /** 64-bit Arm (Graviton). */
  public static readonly ARM_64 = new ImageArchitecture('arm64', ec2.InstanceArchitecture.ARM_64, 't4g.medium');

  /** Every architecture, for messages. */
  public static all(): ImageArchitecture[] {
    return [ImageArchitecture.X86_64, ImageArchitecture.ARM_64];
  }

  /**
   * The architecture with the given name, as AWS writes it: `x86_64` or `arm64`.
   *
   * @throws naming the value and the accepted names when the architecture is unknown
   */
  public static of(name: string): ImageArchitecture {
    const found = ImageArchitecture.all().find((a) => a.name === name);
    if (!found) {
      throw new Error(
        `architecture: unknown architecture '${name}'. Use ImageArchitecture.X86_64 ('x86_64') or ImageArchitecture.ARM_64 ('arm64').`,
      );
    }
    return found;
  }

  private constructor(
    /** The name AWS uses: `x86_64` or `arm64` (the suffix of the Amazon Linux public parameters). */
    public readonly name: string,
    /** The matching EC2 instance architecture. */
    public readonly instanceArchitecture: ec2.InstanceArchitecture,
    /** Instance type that builds and tests the image unless `instanceTypes` says otherwise. */
    public readonly defaultBuildInstanceType: string,
  ) {}

  public toString(): string {
    return this.name;
  }
}
