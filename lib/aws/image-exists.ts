import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AwsClients } from './clients';

/**
 * Whether an `ami-…` or `ssm:<parameter>` image reference exists in the clients' Region (one call). Other forms
 * (`baked:<name>`) exist only once a deploy bakes them: true.
 *
 * EC2's client is imported only for an AMI: it is the largest SDK client, and nothing else in `stage` needs it. (Its
 * module is ours, not the SDK package: a bundle's `import()` of a CommonJS package yields only its default export.)
 *
 * @throws when the check itself fails (permissions, network): the caller decides whether that matters
 */
export async function imageExists(image: string, clients: AwsClients): Promise<boolean> {
  try {
    if (image.startsWith('ami-')) {
      const { amiExists } = await import('./ami-exists');
      return await amiExists(image, clients);
    }
    if (image.startsWith('ssm:')) {
      await clients.get(SSMClient).send(new GetParameterCommand({ Name: image.slice('ssm:'.length) }));
    }
    return true;
  } catch (e) {
    if (NOT_FOUND.includes((e as Error).name)) return false;
    throw e;
  }
}

/** What EC2 and SSM answer for an image that is not there. */
const NOT_FOUND = ['InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'ParameterNotFound'];
