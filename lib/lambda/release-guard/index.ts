/**
 * CloudFormation custom resource that refuses a deploy which would undo a release.
 *
 * It runs before any other resource of the service changes (they all depend on it). It compares what the deploy
 * declares with what the last successful deploy recorded in the service descriptor, and with the weights the
 * production rule holds right now. Comparing with the descriptor (not OldResourceProperties) keeps CloudFormation's
 * own rollback of a refused deploy from being refused in turn.
 */
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { firstDeployViolations, GuardColours, GuardWeights, updateViolations } from './guard-decision';

interface GuardProperties {
  readonly ServiceName: string;
  readonly DescriptorParameter: string;
  readonly Colours: GuardColours;
  readonly RoutingIdentity: string;
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

interface DescriptorSubset {
  readonly routingIdentity?: string;
  readonly production: { readonly ruleArn: string };
  readonly colours: {
    readonly blue: { readonly targetGroupArn: string; readonly image: string; readonly imageId?: string; readonly mode: string };
    readonly green: { readonly targetGroupArn: string; readonly image: string; readonly imageId?: string; readonly mode: string };
  };
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
  const descriptor = await readDescriptor(props.DescriptorParameter);
  if (!descriptor) return firstDeployViolations(props.ServiceName, props.Colours);
  const weights = await readWeights(descriptor);
  return updateViolations(props.ServiceName, props.Colours, descriptor.colours, weights, {
    desired: props.RoutingIdentity,
    deployed: descriptor.routingIdentity,
  });
}

async function readDescriptor(name: string): Promise<DescriptorSubset | undefined> {
  try {
    const out = await new SSMClient({}).send(new GetParameterCommand({ Name: name }));
    return JSON.parse(out.Parameter?.Value ?? '{}') as DescriptorSubset;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') return undefined;
    throw e;
  }
}

async function readWeights(descriptor: DescriptorSubset): Promise<GuardWeights> {
  const out = await new ElasticLoadBalancingV2Client({}).send(new DescribeRulesCommand({ RuleArns: [descriptor.production.ruleArn] }));
  const forward = out.Rules?.[0]?.Actions?.find((a) => a.Type === 'forward');
  const groups = forward?.ForwardConfig?.TargetGroups ?? [];
  const known = [descriptor.colours.blue.targetGroupArn, descriptor.colours.green.targetGroupArn];
  // Fail closed: weights we cannot attribute to a colour protect nothing.
  if (groups.length === 0 || groups.some((g) => !known.includes(g.TargetGroupArn ?? ''))) {
    throw new Error(`the production rule ${descriptor.production.ruleArn} has no weighted forward to this service's two target groups; fix the rule (bluegreen status) before deploying`);
  }
  const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
  const weights = { blue: weightOf(known[0]), green: weightOf(known[1]) };
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
