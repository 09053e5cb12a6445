import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { firstDeployViolations, GuardColours, quarantineOffViolations, updateViolations } from '../../lib/lambda/release-guard/guard-decision';
import { Healing } from '../../constructs';
import { AMI_BLUE, AMI_GREEN, buildService, manifestObject, resources } from './fixtures';

const deployed: GuardColours = { blue: { image: AMI_BLUE, mode: 'active' }, green: { image: AMI_GREEN, mode: 'ready' } };
const NEW = 'ami-0cccccccccccccccc';

describe('release guard decision', () => {
  it('allows a new image on the idle colour', () => {
    // GIVEN blue live; WHEN green's image changes; THEN no violation
    const desired = { ...deployed, green: { image: NEW, mode: 'ready' } };
    expect(updateViolations('web', desired, deployed, { blue: 100, green: 0 })).toEqual([]);
  });

  it("refuses a stale manifest that changes the live colour's image", () => {
    // GIVEN green went live through a release; the pipeline deploys a manifest from before it
    const desired = { ...deployed, green: { image: NEW, mode: 'ready' } };
    // WHEN
    const v = updateViolations('web', desired, deployed, { blue: 0, green: 100 });
    // THEN
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/^web: green holds live traffic \(weight 100 of 100\); this deploy would change its image from ami-0fedcba9876543210 to ami-0cccccccccccccccc\. The release manifest is stale/);
  });

  it("accepts the live colour's baked entry pinned to the AMI it resolved to, and no other AMI", () => {
    // GIVEN green live on a baked image that resolved to ami-0aaaaaaaaaaaaaaaa
    const baked = { ...deployed, green: { image: 'baked:web@1a2b3c4d', imageId: 'ami-0aaaaaaaaaaaaaaaa', mode: 'active' } };
    // WHEN the CLI pins it to that AMI / to another AMI
    const pinned = { ...baked, green: { image: 'ami-0aaaaaaaaaaaaaaaa', mode: 'active' } };
    const other = { ...baked, green: { image: 'ami-0bbbbbbbbbbbbbbbb', mode: 'active' } };
    // THEN
    expect(updateViolations('web', pinned, baked, { blue: 0, green: 100 })).toEqual([]);
    expect(updateViolations('web', other, baked, { blue: 0, green: 100 })).toHaveLength(1);
  });

  it('refuses scaling the live colour to standby', () => {
    const desired = { ...deployed, blue: { image: AMI_BLUE, mode: 'standby' } };
    const v = updateViolations('web', desired, deployed, { blue: 100, green: 0 });
    expect(v).toEqual([expect.stringMatching(/^web: blue holds live traffic .* would scale it to standby/)]);
  });

  it('allows scaling the idle colour to standby and the live colour between active and ready', () => {
    const desired = { blue: { image: AMI_BLUE, mode: 'ready' }, green: { image: AMI_GREEN, mode: 'standby' } };
    expect(updateViolations('web', desired, deployed, { blue: 100, green: 0 })).toEqual([]);
  });

  it('protects both colours while traffic is split mid-release', () => {
    const desired = { blue: { image: NEW, mode: 'active' }, green: { image: NEW, mode: 'active' } };
    const v = updateViolations('web', desired, deployed, { blue: 75, green: 25 });
    expect(v.map((m) => m.split(' ')[1])).toEqual(['blue', 'green']);
  });

  it('refuses a change of what the rules route through, which would re-create them with first-deploy weights', () => {
    const v = updateViolations('web', deployed, deployed, { blue: 0, green: 100 }, { desired: 'internal;vpc="v";targets=HTTP:8080', deployed: 'internet-facing;vpc="v";targets=HTTP:8080' });
    expect(v).toEqual([expect.stringMatching(/^web: this deploy changes what the weighted rules route through \(internet-facing;vpc="v";targets=HTTP:8080 to internal;vpc="v";targets=HTTP:8080\)/)]);
    expect(updateViolations('web', deployed, deployed, { blue: 0, green: 100 }, { desired: 'x', deployed: 'x' })).toEqual([]);
  });

  it('refuses a first deploy that puts blue (100 % on first deploy) in standby', () => {
    const desired = { ...deployed, blue: { image: AMI_BLUE, mode: 'standby' } };
    expect(firstDeployViolations('web', desired)).toEqual([expect.stringMatching(/first deploy sends 100% of traffic to blue.*Set blue's mode to "active"/)]);
    expect(firstDeployViolations('web', deployed)).toEqual([]);
  });
});

describe('release guard decision: turning quarantine off', () => {
  it('allows it while nothing is kept', () => {
    expect(quarantineOffViolations('web', [])).toEqual([]);
  });

  it('refuses it while instances are kept, naming each and the command that terminates it', () => {
    // GIVEN two kept instances; WHEN the deploy turns quarantine off
    const [violation, ...rest] = quarantineOffViolations('web', ['i-0aaaaaaaaaaaaaaaa', 'i-0bbbbbbbbbbbbbbbb']);
    // THEN one message that names both and the way out
    expect(rest).toEqual([]);
    expect(violation).toContain('2 instance(s) are kept (i-0aaaaaaaaaaaaaaaa, i-0bbbbbbbbbbbbbbbb)');
    expect(violation).toContain('bluegreen quarantine terminate web i-0aaaaaaaaaaaaaaaa; bluegreen quarantine terminate web i-0bbbbbbbbbbbbbbbb');
  });
});

describe('release guard wiring', () => {
  it('tells the guard whether the deploy keeps quarantine on, and lets it find kept instances by tag', () => {
    // GIVEN / WHEN
    const replacing = buildService().template();
    const quarantining = buildService({ healing: Healing.quarantine() }).template();
    // THEN
    replacing.hasResourceProperties('Custom::BlueGreenReleaseGuard', { Quarantine: 'false' });
    quarantining.hasResourceProperties('Custom::BlueGreenReleaseGuard', { Quarantine: 'true' });
    replacing.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ec2:DescribeInstances', Resource: '*' })]) },
    });
  });

  it('passes each colour\'s image fingerprint and mode to the custom resource', () => {
    // GIVEN / WHEN
    const { template } = buildService({}, manifestObject({ green: { image: 'ssm:/my/ami', mode: 'standby' } }));
    // THEN
    template().hasResourceProperties('Custom::BlueGreenReleaseGuard', {
      ServiceName: 'web',
      DescriptorParameter: '/bluegreen/web/descriptor',
      Colours: { blue: { image: AMI_BLUE, mode: 'active' }, green: { image: 'ssm:/my/ami', mode: 'standby' } },
      RoutingIdentity: Match.stringLikeRegexp('^internet-facing;vpc=\\{"Ref":"WebVpc[0-9A-F]+"\\};targets=HTTP:8080$'),
    });
  });

  it('makes every other resource of the service wait for the guard, so a refused deploy changes nothing', () => {
    // GIVEN
    const { service, template } = buildService();
    const stack = Stack.of(service);
    const guardId = stack.getLogicalId(service.releaseGuard.resource.node.defaultChild as never);
    const guardInternals = new Set(
      service.releaseGuard.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource).map((c) => stack.getLogicalId(c)),
    );
    // WHEN
    const all = resources(template());
    const notWaiting = Object.entries(all)
      .filter(([id]) => id !== guardId && !guardInternals.has(id) && id !== 'CDKMetadata')
      .filter(([, r]) => !(r.DependsOn ?? []).includes(guardId))
      .map(([id]) => id);
    // THEN: launch templates, ASGs, rules, descriptor... all wait
    expect(notWaiting).toEqual([]);
    expect(Object.keys(all).length - guardInternals.size).toBeGreaterThan(40);
  });

  it('lets the guard read only the descriptor parameter, and DescribeRules (no resource-level permissions)', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:GetParameter',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':parameter/bluegreen/web/descriptor$')])] },
          }),
          Match.objectLike({ Action: 'elasticloadbalancing:DescribeRules', Resource: '*' }),
        ]),
      },
    });
  });
});
