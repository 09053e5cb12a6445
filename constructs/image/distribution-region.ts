/**
 * A Region an image is copied to when it is baked, e.g. for disaster recovery.
 */
export interface ImageDistributionRegion {
  /** Region name, e.g. `eu-central-1`. */
  readonly region: string;
  /**
   * ARN of a KMS key in that Region (key or alias ARN) that encrypts the copy's snapshots.
   *
   * A KMS key belongs to one Region, so the image's `encryptionKey` cannot encrypt copies elsewhere.
   *
   * @default - the Region's AWS managed EBS key (aws/ebs)
   */
  readonly kmsKeyArn?: string;
}
