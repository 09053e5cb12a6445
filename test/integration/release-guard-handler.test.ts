import * as http from 'http';
import { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../lib/lambda/release-guard';
import { createServiceFixture, FIXTURE_AMI, ServiceFixture } from './fixture';
import { useMotoServer } from './moto-server';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';

/** A stand-in for CloudFormation's pre-signed response URL: records what the handler PUTs. */
function responseCatcher() {
  const bodies: Array<{ Status: string; Reason: string; PhysicalResourceId: string }> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.end();
    });
  });
  return {
    bodies,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/response`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const NEW_AMI = 'ami-0bbbbbbbbbbbbbbbb';

describe('release guard handler against moto', () => {
  useMotoServer();
  const catcher = responseCatcher();
  let url = '';
  let fx: ServiceFixture;
  beforeAll(async () => {
    url = await catcher.start();
    fx = await createServiceFixture({ service: 'guarded' });
  });
  afterAll(() => catcher.stop());

  const event = (requestType: 'Create' | 'Update', colours: Record<string, { image: string; mode: string }>, routing = 'internet-facing;vpc="fixture";targets=HTTP:80', service = 'guarded') => ({
    RequestType: requestType,
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Test/1',
    RequestId: `r-${Math.random()}`,
    LogicalResourceId: 'Guard',
    PhysicalResourceId: requestType === 'Create' ? undefined : `${service}-release-guard`,
    ResourceProperties: {
      ServiceName: service,
      DescriptorParameter: `/bluegreen/${service}/descriptor`,
      Colours: colours as never,
      RoutingIdentity: routing,
    },
  });
  const last = () => catcher.bodies[catcher.bodies.length - 1];

  it('lets a new image onto the idle colour while blue is live', async () => {
    // GIVEN blue 100 / green 0
    await fx.setWeights('production', { blue: 100, green: 0 });
    // WHEN
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: NEW_AMI, mode: 'ready' } }));
    // THEN
    expect(last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'guarded-release-guard' });
  });

  it('refuses a stale manifest that would change the image of green after green went live', async () => {
    // GIVEN a release moved all traffic to green
    await fx.setWeights('production', { blue: 0, green: 100 });
    // WHEN the pipeline deploys a manifest that puts a different image on green
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: NEW_AMI, mode: 'ready' } }));
    // THEN
    expect(last().Status).toBe('FAILED');
    expect(last().Reason).toMatch(/^Deploy refused, nothing changed\. guarded: green holds live traffic \(weight 100 of 100\); this deploy would change its image from baked:web@1\.0\.0 to ami-0bbbbbbbbbbbbbbbb/);
  });

  it('refuses scaling the live colour to standby mid-release', async () => {
    // GIVEN traffic split 75/25
    await fx.setWeights('production', { blue: 75, green: 25 });
    // WHEN
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'standby' } }));
    // THEN
    expect(last().Status).toBe('FAILED');
    expect(last().Reason).toContain('green holds live traffic (weight 25 of 100); this deploy would scale it to standby');
  });

  it('lets CloudFormation roll back a refused deploy (compares with the last successful deploy, not the failed one)', async () => {
    // GIVEN green live, and the descriptor still records the deployed state
    await fx.setWeights('production', { blue: 0, green: 100 });
    // WHEN the rollback re-sends the deployed properties
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } }));
    // THEN
    expect(last().Status).toBe('SUCCESS');
  });

  it('allows a first deploy when no descriptor exists yet', async () => {
    // GIVEN / WHEN an Update for a service with no descriptor (e.g. descriptor never written)
    await handler(event('Update', { blue: { image: NEW_AMI, mode: 'active' }, green: { image: NEW_AMI, mode: 'ready' } }, undefined, 'brand-new'));
    // THEN
    expect(last().Status).toBe('SUCCESS');
  });

  it('refuses a first deploy with blue in standby', async () => {
    await handler(event('Create', { blue: { image: NEW_AMI, mode: 'standby' }, green: { image: NEW_AMI, mode: 'active' } }));
    expect(last().Status).toBe('FAILED');
    expect(last().Reason).toContain('first deploy sends 100% of traffic to blue');
  });

  it('fails closed when the rule forwards to target groups the descriptor does not name', async () => {
    // GIVEN a descriptor whose colours name other target groups than the rule's
    const { PutParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
    const other = (arn: string) => arn.replace(/[0-9a-f]{16}$/, 'ffffffffffffffff');
    const colours = {
      blue: { ...fx.descriptor.colours.blue, targetGroupArn: other(fx.descriptor.colours.blue.targetGroupArn) },
      green: { ...fx.descriptor.colours.green, targetGroupArn: other(fx.descriptor.colours.green.targetGroupArn) },
    };
    await fx.clients.get(SSMClient).send(new PutParameterCommand({ Name: '/bluegreen/mismatch/descriptor', Type: 'String', Value: JSON.stringify({ ...fx.descriptor, service: 'mismatch', colours }), Overwrite: true }));
    // WHEN
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } }, undefined, 'mismatch'));
    // THEN
    expect(last().Status).toBe('FAILED');
    expect(last().Reason).toMatch(/^Release guard could not check live traffic: .*forwards to .*which is neither colour's target group in the descriptor/);
  });

  it('fails closed, with the reason, when the descriptor points at a rule that is gone', async () => {
    // GIVEN a descriptor whose rule ARN no longer exists
    const { PutParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
    const broken = { ...fx.descriptor, service: 'broken', production: { ...fx.descriptor.production, ruleArn: fx.descriptor.production.ruleArn.replace(/[0-9a-f]{16}$/, '0000000000000000') } };
    await fx.clients.get(SSMClient).send(new PutParameterCommand({ Name: '/bluegreen/broken/descriptor', Type: 'String', Value: JSON.stringify(broken), Overwrite: true }));
    // WHEN
    await handler(event('Update', { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } }, undefined, 'broken'));
    // THEN
    expect(last().Status).toBe('FAILED');
    expect(last().Reason).toMatch(/^Release guard could not check live traffic: /);
  });
  describe('turning quarantine off', () => {
  let healer: ServiceFixture;
  beforeAll(async () => {
    healer = await createServiceFixture({ service: 'healer', quarantine: {} });
    await healer.setWeights('production', { blue: 100, green: 0 });
  });

  const deploy = (quarantine: string | undefined) =>
    handler({
      RequestType: 'Update',
      ResponseURL: url,
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Test/1',
      RequestId: `r-${Math.random()}`,
      LogicalResourceId: 'Guard',
      PhysicalResourceId: 'healer-release-guard',
      ResourceProperties: {
        ServiceName: 'healer',
        DescriptorParameter: '/bluegreen/healer/descriptor',
        Colours: { blue: { image: FIXTURE_AMI, mode: 'active' }, green: { image: FIXTURE_AMI, mode: 'ready' } } as never,
        RoutingIdentity: healer.descriptor.routingIdentity,
        ...(quarantine === undefined ? {} : { Quarantine: quarantine }),
      },
    });

  it('lets quarantine go while nothing is kept', async () => {
    // GIVEN a quarantining service with no kept instance; WHEN a deploy turns quarantine off
    await deploy('false');
    // THEN
    expect(last().Status).toBe('SUCCESS');
  });

  it('refuses turning quarantine off while an instance is kept, naming it and the command that frees it', async () => {
    // GIVEN one of blue's instances is kept (the quarantine writes its tags before it abandons the hook)
    const [kept] = await healer.instanceIds('blue');
    await healer.clients.get(EC2Client).send(new CreateTagsCommand({ Resources: [kept], Tags: [{ Key: 'bluegreen:quarantine', Value: 'kept' }] }));
    // WHEN a deploy turns quarantine off (a template of an older library version passes no property at all)
    await deploy('false');
    const refusal = last();
    await deploy(undefined);
    const older = last();
    // AND a deploy that keeps it on
    await deploy('true');
    // THEN
    expect(refusal.Status).toBe('FAILED');
    expect(refusal.Reason).toContain(kept);
    expect(refusal.Reason).toContain(`bluegreen quarantine terminate healer ${kept}`);
    expect(older.Status).toBe('FAILED');
    expect(last().Status).toBe('SUCCESS');
  });
});
});
