/**
 * The service descriptor: everything the `bluegreen` CLI and the release guard need to find a service's
 * resources by its name alone. Published as JSON in the SSM parameter `/bluegreen/<service>/descriptor`.
 *
 * Additive changes keep the schema version; removing or renaming a field bumps it.
 */
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
  /** The composite alarm a release gates on. */
  readonly composite?: string;
  /** Target 5xx error rate. */
  readonly errorRate?: string;
  /** p99 target response time. */
  readonly latencyP99?: string;
  /** Unhealthy hosts above zero. */
  readonly unhealthyHosts?: string;
  /** Healthy hosts below the expected count. */
  readonly healthyHosts?: string;
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
  readonly loadBalancer: {
    readonly arn: string;
    readonly fullName: string;
    readonly dnsName: string;
  };
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
  readonly colours: {
    readonly blue: ColourDescriptor;
    readonly green: ColourDescriptor;
  };
}
