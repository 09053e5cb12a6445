/**
 * The service descriptor (schema and parser): everything the `bluegreen` CLI, the Lambda handlers and the release guard need to find a service's
 * resources by its name alone. Published as JSON in the SSM parameter `/bluegreen/<service>/descriptor`.
 *
 * Additive changes keep the schema version; removing or renaming a field bumps it.
 */
import { DisasterRecoveryDescriptor, disasterRecoveryProblems } from './disaster-recovery';
import { FeatureFlagsDescriptor, featureFlagsDescriptorProblems } from './feature-flags';
import { HealingDescriptor, healingProblems } from './quarantine';
import { ReleaseHookDescriptor, releaseHookProblems } from './release-hooks';

export const SERVICE_DESCRIPTOR_SCHEMA_VERSION = 1;

/** The SSM parameter that holds a service's descriptor. */
export function descriptorParameterName(serviceName: string): string {
  return `/bluegreen/${serviceName}/descriptor`;
}

/** A listener and the rule on it whose weighted forward carries the colours' traffic shares. */
export interface TrafficRouteDescriptor {
  /** ARN of the listener. */
  readonly listenerArn: string;
  /** ARN of the listener rule whose forward action holds the weights. Owned by the release side. */
  readonly ruleArn: string;
  /** Listener port. */
  readonly port: number;
  /** `HTTP` or `HTTPS`. */
  readonly protocol: string;
}

/** Serving-size capacity of a colour (what `active` and `ready` run). */
export interface CapacityDescriptor {
  /** Minimum instances. */
  readonly min: number;
  /** Maximum instances. */
  readonly max: number;
  /** Desired instances. */
  readonly desired: number;
}

/** Per-colour alarms, by name. Filled by the health constructs. */
export interface ColourAlarmsDescriptor {
  /** The gate: the composite alarm a release gates on. */
  readonly gate?: string;
  /** Target 5xx error rate. */
  readonly errorRate?: string;
  /** p99 target response time. */
  readonly latencyP99?: string;
  /** Unhealthy hosts above zero. */
  readonly unhealthyHosts?: string;
  /** Healthy hosts below the expected count. */
  readonly healthyHosts?: string;
  /** Repeated health-driven replacements of the colour (with quarantine). */
  readonly flapping?: string;
}

/** One colour slot. */
export interface ColourDescriptor {
  /** Target group ARN. */
  readonly targetGroupArn: string;
  /** Target group's full name, as CloudWatch's `TargetGroup` dimension. */
  readonly targetGroupFullName: string;
  /** Auto Scaling group name. */
  readonly autoScalingGroupName: string;
  /** Launch template id. */
  readonly launchTemplateId: string;
  /** Image fingerprint last deployed (an AMI id, `ssm:<name>` or `baked:<name>@<version>`). */
  readonly image: string;
  /** The AMI id the launch template resolved to at the last deploy. */
  readonly imageId: string;
  /** Capacity mode last deployed. */
  readonly mode: string;
  /** Alarms of the colour. */
  readonly alarms: ColourAlarmsDescriptor;
}

/** The whole descriptor. */
export interface ServiceDescriptor {
  /** Always `SERVICE_DESCRIPTOR_SCHEMA_VERSION` for this shape. */
  readonly schemaVersion: number;
  /** Service name. */
  readonly service: string;
  /** Region of the service. */
  readonly region: string;
  /** Stack that deployed the service. */
  readonly stackName: string;
  /** The load balancer. */
  readonly loadBalancer: LoadBalancerDescriptor;
  /** Live traffic route. */
  readonly production: TrafficRouteDescriptor;
  /** Test route, always forwarding to the idle colour. */
  readonly test: TrafficRouteDescriptor;
  /** SNS topic for fleet notifications and alarms. */
  readonly topicArn: string;
  /** What the weighted rules route through (scheme, VPC, target protocol and port), as the release guard compares it. */
  readonly routingIdentity: string;
  /** DynamoDB table with the release state (partition key `service`). */
  readonly releaseStateTable: string;
  /** Serving-size capacity shared by both colours. */
  readonly capacity: CapacityDescriptor;
  /** The colours. */
  readonly colours: ColoursDescriptor;
  /** This Region's half of a disaster-recovery pair, when the service has a standby Region. */
  readonly disasterRecovery?: DisasterRecoveryDescriptor;
  /** How the colours heal: absent or without `quarantine` when sick instances are only replaced. */
  readonly healing?: HealingDescriptor;
  /** Release hooks declared on the service (Lambda functions and webhooks), run once per release at their points. */
  readonly releaseHooks?: readonly ReleaseHookDescriptor[];
  /** The service's feature flags in AWS AppConfig, when it declares some (`FeatureFlags`). */
  readonly featureFlags?: FeatureFlagsDescriptor;
}

/** The load balancer of a service. */
export interface LoadBalancerDescriptor {
  /** ARN. */
  readonly arn: string;
  /** Full name, as CloudWatch's `LoadBalancer` dimension. */
  readonly fullName: string;
  /** DNS name. */
  readonly dnsName: string;
}

/** Both colour slots. */
export interface ColoursDescriptor {
  /** The blue slot. */
  readonly blue: ColourDescriptor;
  /** The green slot. */
  readonly green: ColourDescriptor;
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
  return withGateNames(raw as ServiceDescriptor);
}

/** Descriptors written before the gate was named `gate` call it `composite`: read both (an additive change). */
function withGateNames(descriptor: ServiceDescriptor): ServiceDescriptor {
  const colour = (c: ColourDescriptor): ColourDescriptor => {
    const legacy = (c.alarms as { readonly composite?: string }).composite;
    return c.alarms.gate === undefined && legacy !== undefined ? { ...c, alarms: { ...c.alarms, gate: legacy } } : c;
  };
  return { ...descriptor, colours: { blue: colour(descriptor.colours.blue), green: colour(descriptor.colours.green) } };
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
  problems.push(...disasterRecoveryProblems(at(raw, 'disasterRecovery')));
  problems.push(...healingProblems(at(raw, 'healing')));
  problems.push(...releaseHookProblems(at(raw, 'releaseHooks')));
  problems.push(...featureFlagsDescriptorProblems(at(raw, 'featureFlags')));
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
