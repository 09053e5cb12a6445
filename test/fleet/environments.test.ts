import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, ReleaseManifest } from '../../constructs';
import { manifestObject } from './fixtures';

/** The stacks users write: env-agnostic (the `cdk init` default), Region only, account and Region. */
function serviceIn(env: { account?: string; region?: string } | undefined, extra: { availabilityZones?: string[]; vpc?: (s: Stack) => ec2.IVpc } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Shop', env ? { env } : {});
  const build = () =>
    new BlueGreenService(stack, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromObject(manifestObject()),
      availabilityZones: extra.availabilityZones,
      vpc: extra.vpc?.(stack),
    });
  return { app, stack, build };
}

/** Context lookups the synth would need: the cloud assembly's `missing` list. */
function missingContext(app: App): string[] {
  return (app.synth().manifest.missing ?? []).map((m) => m.key);
}

const AZS = ['eu-west-1a', 'eu-west-1b'];
const ACCOUNT = '123456789012';

describe('BlueGreenService in the stacks users write', () => {
  it('refuses an env-agnostic stack at once, naming the fix instead of failing inside aws-cdk-lib', () => {
    // GIVEN the stack `cdk init app` writes: no env
    const { build } = serviceIn(undefined);
    // WHEN / THEN
    expect(build).toThrow(
      /^BlueGreenService Shop\/Web: stack 'Shop' has no Region \(an environment-agnostic stack\)\. Give the stack an explicit Region, e\.g\. new Stack\(app, 'Shop', \{ env: \{ region: 'eu-west-1' \} \}\); the account may stay unset\.$/,
    );
  });

  it('refuses an account without a Region the same way', () => {
    const { build } = serviceIn({ account: ACCOUNT });
    expect(build).toThrow(/has no Region .*env: \{ region: 'eu-west-1' \}/);
  });

  it.each([
    ['a Region only', { region: 'eu-west-1' }],
    ['an account and a Region', { account: ACCOUNT, region: 'eu-west-1' }],
  ])('needs no context lookup with %s and availabilityZones given', (_, env) => {
    // GIVEN
    const { app, stack, build } = serviceIn(env, { availabilityZones: AZS });
    // WHEN
    build();
    // THEN nothing is missing, and the subnets are in exactly the AZs given
    expect(missingContext(app)).toEqual([]);
    const azs = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map((r) => r.Properties.AvailabilityZone);
    expect(new Set(azs)).toEqual(new Set(AZS));
  });

  it('leaves the stack reporting its own AZs after building the VPC', () => {
    // GIVEN an account and Region stack whose AZs are a context lookup
    const { stack, build } = serviceIn({ account: ACCOUNT, region: 'eu-west-1' }, { availabilityZones: AZS });
    // WHEN
    build();
    // THEN the stack's own getter is back: it asks for the lookup again (dummy values), it does not keep ours
    expect(stack.availabilityZones).not.toEqual(AZS);
  });

  it('needs no context lookup with an account, a Region and a VPC given', () => {
    // GIVEN an imported VPC with subnets in two AZs
    const vpc = (s: Stack) =>
      ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        vpcCidrBlock: '10.0.0.0/16',
        availabilityZones: AZS,
        publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        privateSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
      });
    const { app, build } = serviceIn({ account: ACCOUNT, region: 'eu-west-1' }, { vpc });
    // WHEN
    build();
    // THEN
    expect(missingContext(app)).toEqual([]);
  });
});
