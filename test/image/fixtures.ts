import { execFileSync } from 'child_process';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { BakedImage, BakedImageProps, ImageComponent } from '../../constructs';

export const ACCOUNT = '111111111111';
export const HOME_REGION = 'eu-west-1';
export const DR_REGION = 'eu-central-1';
export const PINNED_AMI = 'ami-0123456789abcdef0';

/** A fresh app; bundling is skipped so tests stay fast. */
export function freshApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** A stack with an explicit environment (the image needs to know its Region). */
export function stackIn(app: App, id: string, region: string): Stack {
  return new Stack(app, id, { env: { account: ACCOUNT, region } });
}

/** A small VPC with private subnets behind a NAT gateway, as build instances need. */
export function vpcIn(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${stack.region}a`, `${stack.region}b`], natGateways: 1 });
}

/** The component most tests bake; `marker` changes its content. */
export function webComponent(marker = 'v1'): ImageComponent {
  return ImageComponent.fromSteps({
    name: 'web',
    files: [{ path: '/opt/web/VERSION', content: `${marker}\n` }],
    buildCommands: ['dnf install -y nginx', 'systemctl enable nginx'],
    validateCommands: ['nginx -t'],
    testCommands: ['systemctl is-active nginx'],
  });
}

export type ImageOverrides = Partial<BakedImageProps>;

/** GIVEN helper: a baked image `web` in a fresh stack in eu-west-1 distributed to eu-central-1. */
export function buildImage(overrides: ImageOverrides = {}, app = freshApp()) {
  const stack = stackIn(app, 'Home', HOME_REGION);
  const image = new BakedImage(stack, 'WebImage', {
    imageName: 'web',
    vpc: vpcIn(stack),
    components: [webComponent()],
    distributionRegions: [{ region: DR_REGION }],
    ...overrides,
  });
  return { app, stack, image, template: () => Template.fromStack(stack) };
}

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string };

/** Resources of a template by logical id. */
export function resources(template: Template): Record<string, Resource> {
  return template.toJSON().Resources;
}

/** Resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return Object.fromEntries(Object.entries(resources(template)).filter(([, r]) => r.Type === type));
}

/** The single resource of `type`. */
export function onlyResource(template: Template, type: string): Resource {
  const found = Object.values(resourcesOfType(template, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Parse YAML with Python's PyYAML (a cfn-lint dependency here), to check documents as AWSTOE will read them. */
export function parseYaml(text: string): unknown {
  const out = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: text });
  return JSON.parse(out.toString());
}
