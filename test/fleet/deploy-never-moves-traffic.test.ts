import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, ReleaseManifest } from '../../constructs';
import { WebServiceStack } from '../../lib/web-service-stack';
import { buildService, freshStack, manifestObject, ServiceOverrides } from './fixtures';

/** The resources that carry the weights, by logical id, exactly as synthesized. */
function weightCarriers(service: BlueGreenService): Record<string, unknown> {
  const stack = Stack.of(service);
  const all = Template.fromStack(stack).toJSON().Resources;
  const out: Record<string, unknown> = {};
  for (const rule of [service.productionRule, service.testRule]) {
    const id = stack.getLogicalId(rule.node.defaultChild as never);
    out[id] = all[id];
  }
  return out;
}

const BASE: ServiceOverrides = { certificates: [elbv2.ListenerCertificate.fromArn('arn:aws:acm:eu-west-1:123456789012:certificate/one')] };

describe('cdk deploy never moves live traffic', () => {
  it('starts with blue live at 100 % and green idle at 0 %, the test route on green', () => {
    // GIVEN / WHEN
    const { service } = buildService(BASE);
    // THEN
    const carriers = Object.values(weightCarriers(service)) as Array<{ Properties: { Actions: Array<{ ForwardConfig: { TargetGroups: Array<{ Weight: number }> } }> } }>;
    const weights = carriers.map((r) => r.Properties.Actions[0].ForwardConfig.TargetGroups.map((g) => g.Weight));
    expect(weights).toEqual([
      [100, 0],
      [0, 100],
    ]);
  });

  const changes: Array<[string, ServiceOverrides, Record<string, unknown>?]> = [
    ["the idle colour's image", {}, manifestObject({ green: { image: 'ami-0aaaaaaaaaaaaaaaa', mode: 'ready' } })],
    ["the idle colour's capacity mode", {}, manifestObject({ green: { image: 'ami-0fedcba9876543210', mode: 'standby' } })],
    ['the capacity', { minCapacity: 4, maxCapacity: 8, desiredCapacity: 6 }],
    ['the health check', { healthCheck: { path: '/ready', interval: Duration.seconds(30), healthyThresholdCount: 5 } }],
    ['the instance type', { instanceType: new ec2.InstanceType('m7g.large') }],
    ['the certificate', { certificates: [elbv2.ListenerCertificate.fromArn('arn:aws:acm:eu-west-1:123456789012:certificate/two')] }],
    ['the TLS policy', { sslPolicy: elbv2.SslPolicy.TLS13_13 }],
    ['the deregistration delay and slow start', { deregistrationDelay: Duration.seconds(5), slowStart: Duration.seconds(60) }],
    ['the test listener', { testListener: { port: 9443, allowedCidrs: ['198.51.100.0/24'] } }],
  ];

  for (const [what, overrides, manifest] of changes) {
    it(`leaves the weight-carrying rules byte-identical when ${what} changes`, () => {
      // GIVEN
      const before = weightCarriers(buildService(BASE).service);
      // WHEN
      const after = weightCarriers(buildService({ ...BASE, ...overrides }, manifest ?? manifestObject()).service);
      // THEN
      expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    });

    it(`keeps the routing identity the release guard compares when ${what} changes`, () => {
      expect(buildService({ ...BASE, ...overrides }, manifest ?? manifestObject()).service.routingIdentity).toBe(buildService(BASE).service.routingIdentity);
    });
  }

  // These replace the load balancer or the target groups, so CloudFormation would re-create the rules with their
  // first-deploy weights even though the rules' JSON (made of Refs) looks the same: the guard refuses them.
  const replacing: Array<[string, ServiceOverrides]> = [
    ['the scheme', { internetFacing: false }],
    ['the application port', { appPort: 9090 }],
  ];
  for (const [what, overrides] of replacing) {
    it(`changes the routing identity, which the release guard refuses, when ${what} changes`, () => {
      // GIVEN
      const before = buildService(BASE).service.routingIdentity;
      // WHEN
      const after = buildService({ ...BASE, ...overrides }).service.routingIdentity;
      // THEN
      expect(after).not.toBe(before);
    });
  }

  it('changes the routing identity when the service moves to another VPC', () => {
    // GIVEN a service in its own VPC, and the same service given another VPC resource
    const own = buildService(BASE).service.routingIdentity;
    const stack = freshStack();
    const other = new ec2.Vpc(stack, 'Other', { availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    // WHEN
    const moved = new BlueGreenService(stack, 'Web', { ...BASE, serviceName: 'web', manifest: ReleaseManifest.fromObject(manifestObject()), vpc: other }).routingIdentity;
    // THEN
    expect(moved).not.toBe(own);
    expect(moved).toContain('"Ref":"Other');
  });

  it('the change under test does change the template (the comparison is not vacuous)', () => {
    // GIVEN
    const a = buildService(BASE);
    const b = buildService({ ...BASE, instanceType: new ec2.InstanceType('m7g.large') });
    // THEN
    expect(JSON.stringify(a.template().toJSON())).not.toBe(JSON.stringify(b.template().toJSON()));
  });

  it("holds for the reference app when the idle colour's image and mode change in releases/web.json", () => {
    // GIVEN: the reference stack synthesized from a copy of the checked-in manifest
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'releases-'));
    const original = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'releases', 'web.json'), 'utf8'));
    const synth = (manifest: unknown) => {
      fs.writeFileSync(path.join(dir, 'web.json'), JSON.stringify(manifest));
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new WebServiceStack(app, 'Web', {
        env: { region: 'eu-west-1' },
        availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
        testListenerCidrs: ['203.0.113.0/24'],
        releasesDir: dir,
      });
      return { carriers: weightCarriers(stack.service), template: JSON.stringify(Template.fromStack(stack).toJSON()) };
    };
    const before = synth(original);
    // WHEN
    const after = synth({ ...original, green: { image: 'ami-0bbbbbbbbbbbbbbbb', mode: 'standby' } });
    // THEN
    expect(after.template).not.toBe(before.template);
    expect(JSON.stringify(after.carriers)).toBe(JSON.stringify(before.carriers));
  });
});
