import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AwsClients } from './clients';

/**
 * Whether the AMI exists in the clients' Region (one DescribeImages call).
 *
 * @throws what EC2 throws, `InvalidAMIID.NotFound` included
 */
export async function amiExists(imageId: string, clients: AwsClients): Promise<boolean> {
  const out = await clients.get(EC2Client).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
  return (out.Images ?? []).length > 0;
}
