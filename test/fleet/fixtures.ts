import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BlueGreenService, BlueGreenServiceProps, ReleaseManifest } from '../../constructs';

export const AMI_BLUE = 'ami-0123456789abcdef0';
export const AMI_GREEN = 'ami-0fedcba9876543210';

/** A manifest object; override colours or fields per test. */
export function manifestObject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    service: 'web',
    blue: { image: AMI_BLUE, mode: 'active' },
    green: { image: AMI_GREEN, mode: 'ready' },
    ...overrides,
  };
}

/** A fresh app and stack in eu-west-1; bundling is skipped so tests stay fast. */
export function freshStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
}

export type ServiceOverrides = Partial<BlueGreenServiceProps>;

/** GIVEN helper: a service in a fresh stack with sensible props, overridable per test. */
export function buildService(overrides: ServiceOverrides = {}, manifest = manifestObject()) {
  const stack = freshStack();
  const service = new BlueGreenService(stack, 'Web', {
    serviceName: 'web',
    manifest: ReleaseManifest.fromObject(manifest),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    testListener: { allowedCidrs: ['192.0.2.0/24'] },
    ...overrides,
  });
  return { stack, service, template: () => Template.fromStack(stack) };
}

/** Resources of a template by logical id. */
export function resources(template: Template): Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }> {
  return template.toJSON().Resources;
}

/** Logical ids of the resources of `type`. */
export function idsOfType(template: Template, type: string): string[] {
  return Object.entries(resources(template))
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}
