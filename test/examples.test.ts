import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';

const EXAMPLES = path.join(__dirname, '..', 'examples');

describe('examples', () => {
  const names = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, 'app.ts')));

  it('exist', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name} synthesizes a blue/green service`, async () => {
      // GIVEN
      const { build } = (await import(path.join(EXAMPLES, name, 'app.ts'))) as { build: (app: App) => Stack };
      // WHEN
      const stack = build(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
      // THEN
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
      template.resourceCountIs('Custom::BlueGreenReleaseGuard', 1);
    });
  }

  it('dr-service pairs its primary with a pilot-light standby in another Region, each with its failover record', async () => {
    // GIVEN
    const { build } = (await import(path.join(EXAMPLES, 'dr-service', 'app.ts'))) as { build: (app: App) => Stack };
    // WHEN
    const primary = build(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const [standby] = primary.dependencies;
    // THEN
    expect(standby.region).not.toBe(primary.region);
    Template.fromStack(primary).hasResourceProperties('AWS::Route53::RecordSet', { Failover: 'PRIMARY', Name: 'shop.example.com.' });
    const t = Template.fromStack(standby);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Failover: 'SECONDARY', Name: 'shop.example.com.' });
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0', MaxSize: '6' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bluegreen-shop-dr-switch' });
  });

  it('migrations declares an expand migration, a smoke webhook and a contract migration the pipeline may invoke', async () => {
    // GIVEN
    const { build } = (await import(path.join(EXAMPLES, 'migrations', 'app.ts'))) as { build: (app: App) => Stack };
    // WHEN
    const stack = build(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    // THEN the descriptor lists the three hooks
    const t = Template.fromStack(stack);
    const [descriptor] = Object.values(t.findResources('AWS::SSM::Parameter', { Properties: { Name: '/bluegreen/orders/descriptor' } }));
    const text = JSON.stringify(descriptor.Properties.Value);
    for (const hook of ['expand-schema', 'smoke', 'drop-old-column']) expect(text).toContain(`\\"name\\":\\"${hook}\\"`);
    expect(text).toContain('https://ci.example.com/hooks/orders-smoke');
    // AND the two migrations run on Node.js 24, invocable by the pipeline
    t.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Description: Match.stringLikeRegexp('^orders: ') }, 2);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: [Match.anyValue(), Match.anyValue()] })]) },
    });
  });

  it('feature-flags declares two flags in AppConfig without deploying them, read by the on-call role, changed by the pipeline', async () => {
    // GIVEN
    const { build } = (await import(path.join(EXAMPLES, 'feature-flags', 'app.ts'))) as { build: (app: App) => Stack };
    // WHEN
    const stack = build(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    // THEN the flags exist with their defaults, and nothing deploys them
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::AppConfig::Application', { Name: 'bluegreen-shop' });
    const [version] = Object.values(t.findResources('AWS::AppConfig::HostedConfigurationVersion'));
    const content = JSON.parse(version.Properties.Content);
    expect(Object.keys(content.flags)).toEqual(['release-new-checkout', 'ops-disable-recommendations']);
    expect(content.values['release-new-checkout'].enabled).toBe(false);
    t.resourceCountIs('AWS::AppConfig::Deployment', 0);
    // AND the gradual strategy is the one the app chose
    t.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', { GrowthFactor: 25, DeploymentDurationInMinutes: 8, FinalBakeTimeInMinutes: 5, GrowthType: 'LINEAR' });
    // AND only the pipeline may start a deployment
    const starters = Object.entries(t.findResources('AWS::IAM::Policy')).filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('appconfig:StartDeployment'));
    expect(starters.map(([, p]) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringContaining('Pipeline')]);
  });
});
