import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { descriptorParameterName, SERVICE_DESCRIPTOR_SCHEMA_VERSION, ServiceDescriptor } from '../../constructs/fleet/descriptor';
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

/** The descriptor parameter exists but its content is not a descriptor this code understands. */
export class InvalidDescriptorError extends Error {
  constructor(
    /** The SSM parameter read. */
    public readonly parameterName: string,
    /** Every problem found, one per entry. */
    public readonly problems: readonly string[],
  ) {
    super(`Invalid service descriptor in ${parameterName}: ${problems.join('; ')}.`);
    this.name = 'InvalidDescriptorError';
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

/**
 * Parse and validate descriptor JSON.
 *
 * @param parameterName where it came from, for messages
 * @param expectedService the service it must describe, when known
 */
export function parseDescriptor(json: string, parameterName: string, expectedService?: string): ServiceDescriptor {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new InvalidDescriptorError(parameterName, [`not JSON (${(e as Error).message})`]);
  }
  const problems = descriptorProblems(raw, expectedService);
  if (problems.length) throw new InvalidDescriptorError(parameterName, problems);
  return raw as ServiceDescriptor;
}

const REQUIRED_STRINGS = [
  'service',
  'region',
  'loadBalancer.arn',
  'production.listenerArn',
  'production.ruleArn',
  'test.listenerArn',
  'test.ruleArn',
  'releaseStateTable',
  'colours.blue.targetGroupArn',
  'colours.blue.autoScalingGroupName',
  'colours.green.targetGroupArn',
  'colours.green.autoScalingGroupName',
];
const REQUIRED_COUNTS = ['capacity.min', 'capacity.max', 'capacity.desired'];
const REQUIRED_OBJECTS = ['colours.blue.alarms', 'colours.green.alarms'];

function descriptorProblems(raw: unknown, expectedService?: string): string[] {
  if (typeof raw !== 'object' || raw === null) return ['not a JSON object'];
  const version = at(raw, 'schemaVersion');
  if (version !== SERVICE_DESCRIPTOR_SCHEMA_VERSION) {
    // Other fields may mean something else in another schema: report only this.
    return [`schemaVersion is ${JSON.stringify(version)}, this bluegreen reads ${SERVICE_DESCRIPTOR_SCHEMA_VERSION}; use a matching bluegreen version`];
  }
  const problems: string[] = [];
  for (const path of REQUIRED_STRINGS) {
    const v = at(raw, path);
    if (typeof v !== 'string' || v === '') problems.push(`${path} must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  for (const path of REQUIRED_COUNTS) {
    const v = at(raw, path);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`${path} must be an integer >= 0, got ${JSON.stringify(v)}`);
  }
  for (const path of REQUIRED_OBJECTS) {
    const v = at(raw, path);
    if (typeof v !== 'object' || v === null) problems.push(`${path} must be an object, got ${JSON.stringify(v)}`);
  }
  const service = at(raw, 'service');
  if (expectedService !== undefined && typeof service === 'string' && service !== expectedService) {
    problems.push(`service is '${service}', expected '${expectedService}'`);
  }
  return problems;
}

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
