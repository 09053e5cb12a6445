import { Template } from 'aws-cdk-lib/assertions';
import { ServiceDescriptor, parseDescriptor } from '../../lib/contract';
import { ofType } from './fixtures';

/**
 * The descriptor as a deployed stack would publish it: the parameter's `Fn::Join`, with each token (a Ref or
 * GetAtt) standing in as the string `tok-<n>`, parsed by the CLI's own parser.
 */
export function deployedDescriptor(template: Template): ServiceDescriptor {
  const [param] = Object.values(ofType(template, 'AWS::SSM::Parameter')).filter((p) => String(p.Properties.Description ?? '').startsWith('cdk-bluegreen descriptor'));
  const value = param.Properties.Value as string | { 'Fn::Join': [string, unknown[]] };
  const json = typeof value === 'string' ? value : value['Fn::Join'][1].map((part, i) => (typeof part === 'string' ? part : `tok-${i}`)).join('');
  return parseDescriptor(json, '/bluegreen/web/descriptor', 'web');
}
