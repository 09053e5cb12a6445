import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, ColourFleet } from '../../constructs';
import { SERVICE_DESCRIPTOR_SCHEMA_VERSION } from '../../lib/contract';
import { buildService, resources } from './fixtures';

type Cfn = string | number | { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, Cfn[]] };

/** Render a CloudFormation string expression, writing references as <Ref X> and <X.Attr>. */
function render(value: Cfn): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value.Ref) return `<Ref ${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${value['Fn::GetAtt'].join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(render).join(value['Fn::Join'][0]);
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

function descriptorParameter(service: BlueGreenService) {
  const stack = Stack.of(service);
  return resources(Template.fromStack(stack))[stack.getLogicalId(service.descriptorParameter.node.defaultChild as never)];
}

function descriptorOf(service: BlueGreenService) {
  const param = descriptorParameter(service);
  return { name: param.Properties?.Name, json: JSON.parse(render(param.Properties?.Value as Cfn)) };
}

describe('service descriptor', () => {
  it('is published at /bluegreen/<service>/descriptor with the schema version', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    const d = descriptorOf(service);
    // THEN
    expect(d.name).toBe('/bluegreen/web/descriptor');
    expect(d.json).toMatchObject({ schemaVersion: SERVICE_DESCRIPTOR_SCHEMA_VERSION, service: 'web', region: 'eu-west-1', stackName: 'Test' });
  });

  it('names the load balancer, both listeners and the rules carrying the weights', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    const stack = Stack.of(service);
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    const d = descriptorOf(service).json;
    // THEN
    expect(d.loadBalancer).toEqual({
      arn: `<Ref ${id(service.loadBalancer)}>`,
      fullName: `<${id(service.loadBalancer)}.LoadBalancerFullName>`,
      dnsName: `<${id(service.loadBalancer)}.DNSName>`,
    });
    expect(d.production).toEqual({ listenerArn: `<Ref ${id(service.productionListener)}>`, ruleArn: `<Ref ${id(service.productionRule)}>`, port: 80, protocol: 'HTTP' });
    expect(d.test).toEqual({ listenerArn: `<Ref ${id(service.testListener)}>`, ruleArn: `<Ref ${id(service.testRule)}>`, port: 8080, protocol: 'HTTP' });
    expect(d.topicArn).toBe(`<Ref ${id(service.topic)}>`);
    expect(d.releaseStateTable).toBe(`<Ref ${id(service.releaseStateTable)}>`);
    expect(d.capacity).toEqual({ min: 2, max: 3, desired: 2 });
    expect(d.routingIdentity).toMatch(/^internet-facing;vpc=\{"Ref":"WebVpc[0-9A-F]+"\};targets=HTTP:8080$/);
  });

  it('names each colour\'s target group, Auto Scaling group, launch template, image and mode', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    const stack = Stack.of(service);
    const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
    const d = descriptorOf(service).json;
    const expected = (f: ColourFleet, image: string, mode: string) => ({
      targetGroupArn: `<Ref ${id(f.targetGroup)}>`,
      targetGroupFullName: `<${id(f.targetGroup)}.TargetGroupFullName>`,
      autoScalingGroupName: `<Ref ${id(f.autoScalingGroup)}>`,
      launchTemplateId: `<Ref ${id(f.launchTemplate)}>`,
      image,
      imageId: image,
      mode,
      alarms: {},
    });
    // THEN
    expect(d.colours.blue).toEqual(expected(service.blue, 'ami-0123456789abcdef0', 'active'));
    expect(d.colours.green).toEqual(expected(service.green, 'ami-0fedcba9876543210', 'ready'));
  });

  it('includes alarm names registered after construction', () => {
    // GIVEN
    const { service } = buildService();
    // WHEN
    service.green.registerAlarms({ gate: 'web-green-gate' });
    service.green.registerAlarms({ errorRate: 'web-green-error-rate' });
    // THEN
    expect(descriptorOf(service).json.colours.green.alarms).toEqual({ gate: 'web-green-gate', errorRate: 'web-green-error-rate' });
  });

  it('stays within the 4 KB limit of a standard SSM parameter with realistic ARNs', () => {
    // GIVEN: every reference replaced by a long, realistic value
    const { service } = buildService();
    for (const c of ['blue', 'green'] as const) {
      service[c].registerAlarms({
        gate: `web-${c}-gate`, errorRate: `web-${c}-error-rate`, latencyP99: `web-${c}-latency-p99`, unhealthyHosts: `web-${c}-unhealthy-hosts`, healthyHosts: `web-${c}-healthy-hosts`,
      });
    }
    const rendered = render(descriptorParameter(service).Properties?.Value as Cfn);
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/BlueGreenWeb-WebLoadB-ABCDEFGHIJKL/0123456789abcdef/0123456789abcdef/0123456789abcdef';
    // WHEN
    const realistic = rendered.replace(/<[^>]+>/g, arn);
    // THEN
    expect(Buffer.byteLength(realistic)).toBeLessThan(4096);
  });
});
