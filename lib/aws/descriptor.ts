import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { descriptorParameterName, parseDescriptor, ServiceDescriptor } from '../contract';
import { AwsClients, clientRegion } from './clients';

/** No descriptor parameter for the service in this region: it was never deployed here, or the name is wrong. */
export class UnknownServiceError extends Error {
  constructor(
    /** The service asked for. */
    public readonly service: string,
    /** The SSM parameter looked up. */
    public readonly parameterName: string,
    /** Region looked in. */
    public readonly region: string,
  ) {
    super(
      `Unknown service '${service}': no SSM parameter ${parameterName} in ${region}. ` +
        'Deploy the service first (cdk deploy) or check --region.',
    );
    this.name = 'UnknownServiceError';
  }
}

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
    const out = await clients.ssm.send(new GetParameterCommand({ Name: name }));
    value = out.Parameter?.Value;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') throw new UnknownServiceError(serviceName, name, await clientRegion(clients));
    throw e;
  }
  return parseDescriptor(value ?? '', name, serviceName);
}

