/**
 * CloudFormation custom resource that refuses a deploy which would undo a release.
 *
 * It runs before any other resource of the service changes (they all depend on it). It compares what the deploy
 * declares with what the last successful deploy recorded in the service descriptor, and with the weights the
 * production rule holds right now. Comparing with the descriptor (not OldResourceProperties) keeps CloudFormation's
 * own rollback of a refused deploy from being refused in turn.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ElbTrafficRouter } from '../../aws/elb-traffic-router';
import { parseDescriptor, QUARANTINE_TAGS, ServiceDescriptor } from '../../contract';
import { firstDeployViolations, GuardColours, GuardWeights, quarantineOffViolations, updateViolations } from './guard-decision';

interface GuardProperties {
  readonly ServiceName: string;
  readonly DescriptorParameter: string;
  readonly Colours: GuardColours;
  readonly RoutingIdentity: string;
  /** `true` when the deploy keeps quarantine on (CloudFormation passes properties as strings). Absent: off. */
  readonly Quarantine?: string;
}

interface CfnEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: GuardProperties;
}

export async function handler(event: CfnEvent): Promise<void> {
  const physicalId = event.PhysicalResourceId ?? `${event.ResourceProperties.ServiceName}-release-guard`;
  let reason: string | undefined;
  try {
    const violations = await evaluate(event);
    reason = violations.length ? `Deploy refused, nothing changed. ${violations.join(' ')}` : undefined;
  } catch (e) {
    reason = `Release guard could not check live traffic: ${(e as Error).message}`;
  }
  await respond(event, physicalId, reason);
}

export async function evaluate(event: CfnEvent): Promise<string[]> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') return [];
  if (event.RequestType === 'Create') return firstDeployViolations(props.ServiceName, props.Colours);
  const descriptor = await readDescriptor(props.DescriptorParameter, props.ServiceName);
  if (!descriptor) return firstDeployViolations(props.ServiceName, props.Colours);
  const weights = await readWeights(descriptor);
  const turningQuarantineOff = descriptor.healing?.quarantine !== undefined && props.Quarantine !== 'true';
  return [
    ...updateViolations(props.ServiceName, props.Colours, descriptor.colours, weights, {
      desired: props.RoutingIdentity,
      deployed: descriptor.routingIdentity,
    }),
    ...(turningQuarantineOff ? quarantineOffViolations(props.ServiceName, await keptInstances(props.ServiceName)) : []),
  ];
}

/**
 * The service's instances that carry the quarantine tag and have not terminated. Tags, not the quarantine record: the
 * guard runs before every other resource of the service, so it cannot be granted the (generated) table's ARN without
 * a dependency cycle, and the tags are written before an instance is kept.
 */
async function keptInstances(service: string): Promise<string[]> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await new EC2Client({}).send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:bluegreen:service', Values: [service] },
          { Name: 'tag-key', Values: [QUARANTINE_TAGS.STATE] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
        NextToken,
      }),
    );
    for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) ids.push(i.InstanceId);
    NextToken = out.NextToken;
  } while (NextToken);
  return ids;
}

/** The descriptor of the last successful deploy, read and schema-checked with the same code as the CLI. */
async function readDescriptor(name: string, service: string): Promise<ServiceDescriptor | undefined> {
  let value: string | undefined;
  try {
    value = (await new SSMClient({}).send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') return undefined;
    throw e;
  }
  return parseDescriptor(value ?? '', name, service);
}

/** Live production weights, read as the CLI reads them: a forward to anything but the two colours fails closed. */
async function readWeights(descriptor: ServiceDescriptor): Promise<GuardWeights> {
  const weights = await new ElbTrafficRouter(descriptor, new ElasticLoadBalancingV2Client({})).getWeights();
  if (weights.blue + weights.green === 0) {
    throw new Error(`the production rule ${descriptor.production.ruleArn} sends no weight to either colour; fix it before deploying`);
  }
  return weights;
}

async function respond(event: CfnEvent, physicalId: string, reason: string | undefined): Promise<void> {
  const body = JSON.stringify({
    Status: reason ? 'FAILED' : 'SUCCESS',
    Reason: reason ?? 'ok',
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
}
