import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BlueGreenService, BlueGreenServiceProps, ReleaseManifest } from '../../constructs/fleet';

/** A fresh stack with a `web` service: blue active, green in `greenMode`. */
export function serviceStack(options: { greenMode?: string; service?: Partial<BlueGreenServiceProps>; app?: App } = {}): { stack: Stack; service: BlueGreenService } {
  const app = options.app ?? new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1' } });
  const service = new BlueGreenService(stack, 'Web', {
    serviceName: 'web',
    manifest: ReleaseManifest.fromObject({
      schemaVersion: 1,
      service: 'web',
      blue: { image: 'ami-0123456789abcdef0', mode: 'active' },
      green: { image: 'ami-0123456789abcdef0', mode: options.greenMode ?? 'ready' },
    }),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    ...options.service,
  });
  return { stack, service };
}

/** Properties of the alarm named `name`, with its logical id. */
export function alarmNamed(template: Template, name: string): { logicalId: string; props: Record<string, unknown> } {
  const found = Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(
    ([, r]) => /^AWS::CloudWatch::(Composite)?Alarm$/.test(r.Type) && r.Properties.AlarmName === name,
  );
  if (found.length !== 1) throw new Error(`expected one alarm named ${name}, found ${found.length}`);
  return { logicalId: found[0][0], props: found[0][1].Properties };
}

/** The math expression an alarm returns. */
export function returnedExpression(props: Record<string, unknown>): string | undefined {
  const metrics = props.Metrics as Array<{ Expression?: string; ReturnData?: boolean }>;
  return metrics.find((m) => m.ReturnData !== false)?.Expression;
}

/** Logical ids referenced by `Fn::GetAtt [id, 'Arn']` anywhere in `value`. */
export function arnRefs(value: unknown): string[] {
  const ids: string[] = [];
  JSON.stringify(value, (key, v) => {
    if (key === 'Fn::GetAtt' && Array.isArray(v) && v[1] === 'Arn') ids.push(v[0]);
    return v;
  });
  return ids;
}

/** The descriptor parameter's JSON with every CloudFormation token replaced by the string "<token>". */
export function descriptorJson(template: Template): { colours: { blue: { alarms: unknown }; green: { alarms: unknown } } } {
  const params = template.findResources('AWS::SSM::Parameter', { Properties: { Name: '/bluegreen/web/descriptor' } });
  const value = Object.values(params)[0].Properties.Value as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof value === 'string' ? value : value['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<token>')).join('');
  return JSON.parse(text);
}
