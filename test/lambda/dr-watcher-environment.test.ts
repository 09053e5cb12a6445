/**
 * The watcher's construct and its handler agree on the environment: the variables the synthesized function gets are
 * the ones the handler reads. (They once disagreed: the handler read SERVICE_NAME while the construct set
 * BLUEGREEN_SERVICE, and every tick would have failed.)
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { watcherEnvironment } from '../../lib/lambda/dr-watcher';
import { standby } from '../dr/fixtures';

describe('dr-watcher environment', () => {
  it('reads the service, descriptor parameter and threshold the construct sets', () => {
    // GIVEN a standby's failover with a watcher threshold of 4
    const { stack } = standby(undefined, { watcherFailureThreshold: 4 });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } });
    const watcher = Object.values(functions).find((f) => JSON.stringify(f).includes('BLUEGREEN_'));
    expect(watcher).toBeDefined();
    const variables = (watcher as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    const literal = Object.fromEntries(Object.entries(variables).filter(([, v]) => typeof v === 'string')) as Record<string, string>;

    // WHEN the handler reads that environment
    const env = watcherEnvironment(literal);

    // THEN it finds what the construct meant
    expect(env).toEqual({ serviceName: 'web', parameter: '/bluegreen/web/descriptor', failureThreshold: 4 });
  });
});
