import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { descriptorParameterName, parseDescriptor, ServiceDescriptor } from '../contract';
import { AwsClients } from './clients';
import { clientRegion } from './region';
import { UnknownServiceError } from './unknown-service-error';

/**
 * Read and validate the descriptor of `serviceName` from SSM (one GetParameter call).
 *
 * @throws UnknownServiceError when the parameter does not exist
 * @throws InvalidDescriptorError when it is not a schema-1 descriptor of that service
 */
export async function loadDescriptor(serviceName: string, clients: AwsClients): Promise<ServiceDescriptor> {
  const name = descriptorParameterName(serviceName);
  let value: string | undefined;
  try {
    const out = await clients.get(SSMClient).send(new GetParameterCommand({ Name: name }));
    value = out.Parameter?.Value;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') throw new UnknownServiceError(serviceName, name, await clientRegion(clients));
    throw e;
  }
  return parseDescriptor(value ?? '', name, serviceName);
}
