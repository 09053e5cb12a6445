import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { buildService, freshStack, manifestObject } from './fixtures';

describe('BlueGreenService rejects bad input at synth, naming the prop, the value and the fix', () => {
  const cases: Array<[string, Parameters<typeof buildService>[0], RegExp]> = [
    ['min > max', { minCapacity: 5, maxCapacity: 3, desiredCapacity: 5 }, /^minCapacity: must not exceed maxCapacity \(3\).*Got 5\.$/],
    ['desired below min', { minCapacity: 2, maxCapacity: 6, desiredCapacity: 1 }, /^desiredCapacity: must be within \[minCapacity, maxCapacity\] = \[2, 6\]\. Got 1\.$/],
    ['desired above max', { minCapacity: 2, maxCapacity: 3, desiredCapacity: 4 }, /^desiredCapacity: must be within .* = \[2, 3\]\. Got 4\.$/],
    ['fractional capacity', { minCapacity: 1.5 }, /^minCapacity: must be a whole number from 1 to 10000\. Got 1\.5\.$/],
    ['interval <= timeout', { healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(5) } }, /^healthCheck\.interval: must be longer than healthCheck\.timeout \(5 seconds\).*Got 5 seconds\.$/],
    ['interval out of range', { healthCheck: { interval: Duration.seconds(400) } }, /^healthCheck\.interval: must be from 5 to 300 seconds\. Got 400 seconds\.$/],
    ['timeout out of range', { healthCheck: { timeout: Duration.seconds(1) } }, /^healthCheck\.timeout: must be from 2 to 120 seconds\. Got 1 seconds\.$/],
    ['healthy threshold out of range', { healthCheck: { healthyThresholdCount: 11 } }, /^healthCheck\.healthyThresholdCount: must be a whole number from 2 to 10\. Got 11\.$/],
    ['unhealthy threshold out of range', { healthCheck: { unhealthyThresholdCount: 1 } }, /^healthCheck\.unhealthyThresholdCount: must be a whole number from 2 to 10\. Got 1\.$/],
    ['bad matcher', { healthCheck: { healthyHttpCodes: 'ok' } }, /^healthCheck\.healthyHttpCodes: must be codes like '200'.*Got "ok"\.$/],
    ['bad path', { healthCheck: { path: 'health' } }, /^healthCheck\.path: must start with '\/'.*Got "health"\.$/],
    ['deregistration delay out of range', { deregistrationDelay: Duration.seconds(3601) }, /^deregistrationDelay: must be from 0 to 3600 seconds\. Got 3601 seconds\.$/],
    ['slow start out of range', { slowStart: Duration.seconds(10) }, /^slowStart: must be from 30 to 900 seconds\. Got 10 seconds\.$/],
    ['grace period out of range', { healthCheckGracePeriod: Duration.hours(3) }, /^healthCheckGracePeriod: must be from 0 to 7200 seconds\. Got 10800 seconds\.$/],
    ['test port equals production port', { testListener: { port: 80 } }, /^testListener\.port: must differ from the production port \(80\).*Got 80\.$/],
    ['app port out of range', { appPort: 70000 }, /^appPort: must be a whole number from 1 to 65535\. Got 70000\.$/],
    ['root volume too small', { rootVolumeSize: 4 }, /^rootVolumeSize: must be a whole number from 8 to 16384\. Got 4\.$/],
    ['bad service name', { serviceName: 'Web_1' }, /^serviceName: must be lower-case letters.*Got "Web_1"\.$/],
    ['a malformed production CIDR', { allowedCidrs: ['10.0.0.0/33'] }, /^allowedCidrs: must hold IPv4 CIDR ranges such as 203\.0\.113\.0\/24\. Got "10\.0\.0\.0\/33"\.$/],
    ['a malformed test-listener CIDR', { testListener: { allowedCidrs: ['office'] } }, /^testListener\.allowedCidrs: must hold IPv4 CIDR ranges.*Got "office"\.$/],
  ];

  for (const [name, props, message] of cases) {
    it(`rejects ${name}`, () => {
      // GIVEN / WHEN / THEN
      expect(() => buildService(props)).toThrow(message);
    });
  }

  it('rejects a VPC whose load balancer subnets span fewer than two AZs', () => {
    // GIVEN
    const stack = freshStack();
    const vpc = new ec2.Vpc(stack, 'OneAz', { availabilityZones: ['eu-west-1a'], natGateways: 1 });
    // WHEN / THEN
    expect(() => buildService({ vpc }, manifestObject())).toThrow(/^vpc: needs load balancer subnets in at least two Availability Zones; found 1\./);
  });

  it('rejects a VPC with no private subnets for the instances', () => {
    // GIVEN
    const stack = freshStack();
    const vpc = new ec2.Vpc(stack, 'PublicOnly', {
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    // WHEN / THEN
    expect(() => buildService({ vpc })).toThrow(/^vpc: has no subnets for the instances/);
  });

  it('rejects a manifest of another service', () => {
    expect(() => buildService({}, manifestObject({ service: 'api' }))).toThrow(/^manifest: must be the manifest of service 'web'.*Got "api"\.$/);
  });

  it('rejects a malformed AMI id in the manifest, naming the colour', () => {
    expect(() => buildService({}, manifestObject({ green: { image: 'ami-12', mode: 'ready' } }))).toThrow(
      /^release manifest: green\.image: malformed AMI id 'ami-12'/,
    );
  });

  it('rejects an image reference of no known form', () => {
    expect(() => buildService({}, manifestObject({ blue: { image: 'ubuntu', mode: 'active' } }))).toThrow(/blue\.image: unrecognised image 'ubuntu'/);
  });

  it('skips validation for token values', () => {
    // GIVEN: every numeric prop is an unresolved token
    const n = (v: number) => Token.asNumber(Lazy.number({ produce: () => v }));
    // WHEN / THEN
    expect(() =>
      buildService({
        minCapacity: n(5),
        maxCapacity: n(1),
        desiredCapacity: n(9),
        appPort: n(0),
        rootVolumeSize: n(1),
        productionPort: n(8080),
        testListener: { port: n(8080) },
        deregistrationDelay: Duration.seconds(n(99999)),
        healthCheck: { interval: Duration.seconds(n(1)), timeout: Duration.seconds(n(500)), healthyThresholdCount: n(50) },
      }),
    ).not.toThrow();
  });
});
