import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BakedImage, BlueGreenService, ReleaseManifest } from '../../constructs';
import { freshApp, HOME_REGION, PINNED_AMI, resources, resourcesOfType, stackIn, vpcIn, webComponent } from './fixtures';

/** Blue is live on a pinned AMI; green (idle) runs `baked:web`, whose web component carries `marker`. */
function synth(marker: string) {
  const stack = stackIn(freshApp(), 'Web', HOME_REGION);
  const vpc = vpcIn(stack);
  const image = new BakedImage(stack, 'WebImage', { imageName: 'web', vpc, components: [webComponent(marker)], distributionRegions: [{ region: 'eu-central-1' }] });
  const service = new BlueGreenService(stack, 'Service', {
    serviceName: 'web',
    manifest: ReleaseManifest.fromObject({
      schemaVersion: 1,
      service: 'web',
      blue: { image: PINNED_AMI, mode: 'active' },
      green: { image: 'baked:web', mode: 'ready' },
    }),
    imageResolvers: [image],
    vpc,
    testListener: { allowedCidrs: ['10.0.0.0/8'] },
  });
  return { stack, image, service, template: Template.fromStack(stack) };
}

function logicalId(stack: Stack, resource: CfnResource | { node: { defaultChild?: unknown } }): string {
  const cfn = resource instanceof CfnResource ? resource : (resource.node.defaultChild as CfnResource);
  return stack.getLogicalId(cfn);
}

/** Logical ids whose resource JSON differs between the two templates (added and removed ones included). */
function changedResources(before: Template, after: Template): string[] {
  const [a, b] = [resources(before), resources(after)];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((id) => JSON.stringify(a[id]) !== JSON.stringify(b[id])).sort();
}

describe('baking a new version and staging it on the idle colour', () => {
  it('changes only the image resources and green\'s bookkeeping; blue and both listener rules stay byte-identical', () => {
    // GIVEN the deployed state and a change to what the image contains
    const before = synth('release-41');
    // WHEN the component changes and the app is synthesized again
    const after = synth('release-42');

    // THEN the changed resources are all in the allowed set
    const { stack, image, service } = after;
    const allowed = new Set([
      ...Object.keys(resourcesOfType(after.template, 'AWS::ImageBuilder::Component')),
      ...Object.keys(resourcesOfType(before.template, 'AWS::ImageBuilder::Component')),
      logicalId(stack, image.recipe),
      logicalId(stack, image.image),
      logicalId(stack, image.distributionConfiguration),
      logicalId(stack, service.green.launchTemplate),
      logicalId(stack, service.releaseGuard.resource),
      logicalId(stack, service.descriptorParameter),
    ]);
    const changed = changedResources(before.template, after.template);
    expect(changed.filter((id) => !allowed.has(id))).toEqual([]);
    // and the bake and the bookkeeping really did change (the diff is not vacuous)
    expect(changed).toEqual(
      expect.arrayContaining([
        logicalId(stack, image.recipe),
        logicalId(stack, image.image),
        logicalId(stack, service.releaseGuard.resource),
        logicalId(stack, service.descriptorParameter),
      ]),
    );
    expect(after.image.version).not.toBe(before.image.version);

    // and blue's launch template and Auto Scaling group and both listener rules are byte-identical
    const same = (id: string) => expect(JSON.stringify(resources(after.template)[id])).toBe(JSON.stringify(resources(before.template)[id]));
    same(logicalId(stack, service.blue.launchTemplate));
    same(logicalId(stack, service.blue.autoScalingGroup));
    const rules = Object.keys(resourcesOfType(after.template, 'AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules).toHaveLength(2);
    rules.forEach(same);
  });

  it('points green at the new bake while blue keeps its pinned AMI', () => {
    // GIVEN / WHEN
    const { stack, image, service, template } = synth('release-42');
    // THEN
    const data = (lt: CfnResource) => (resources(template)[stack.getLogicalId(lt)].Properties?.LaunchTemplateData as { ImageId: unknown }).ImageId;
    expect(data(service.blue.launchTemplate.node.defaultChild as CfnResource)).toBe(PINNED_AMI);
    expect(data(service.green.launchTemplate.node.defaultChild as CfnResource)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(image.image), 'ImageId'] });
    template.hasResourceProperties('Custom::BlueGreenReleaseGuard', { Colours: { blue: { image: PINNED_AMI }, green: { image: image.fingerprint } } });
  });

  it('makes every resource of a same-stack baked image wait for the release guard, so a refused deploy bakes nothing', () => {
    // GIVEN / WHEN
    const { stack, image, service, template } = synth('v1');
    // THEN
    const guard = logicalId(stack, service.releaseGuard.resource);
    const all = resources(template);
    const imageResources = image.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource).map((c) => stack.getLogicalId(c));
    expect(imageResources).toContain(logicalId(stack, image.image));
    for (const id of imageResources) {
      expect({ id, dependsOn: all[id].DependsOn ?? [] }).toEqual({ id, dependsOn: expect.arrayContaining([guard]) });
    }
  });
});
