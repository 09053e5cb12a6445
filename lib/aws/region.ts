import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsClients } from './clients';

/**
 * The region the clients resolve (from the option or the SDK's standard resolution).
 *
 * It asks the SSM client, which every command creates anyway to read the service descriptor.
 *
 * @throws when no region is configured anywhere, with the fix in the message
 */
export async function clientRegion(clients: AwsClients): Promise<string> {
  try {
    return await clients.get(SSMClient).config.region();
  } catch {
    throw new Error('No AWS region configured. Pass --region or set AWS_REGION (or a region in your AWS profile).');
  }
}
