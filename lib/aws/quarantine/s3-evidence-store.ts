import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EvidenceStore } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';

/** Evidence of kept instances in the service's log bucket (one object per instance, JSON, SSE-S3). */
export class S3EvidenceStore implements EvidenceStore {
  /** The evidence in `bucket`, through the shared S3 client. */
  public static fromClients(clients: AwsClients, bucket: string): S3EvidenceStore {
    return new S3EvidenceStore(clients.get(S3Client), bucket);
  }

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** One PutObject call: `s3://<bucket>/<key>`. */
  public async put(key: string, body: string): Promise<string> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', ServerSideEncryption: 'AES256' }),
    );
    return `s3://${this.bucket}/${key}`;
  }
}
