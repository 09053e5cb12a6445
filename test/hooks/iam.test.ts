import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { AutoRollback, BlueGreenService, HookPoint, ReleaseHook, ServiceAlarms } from '../../constructs';
import { buildService } from '../fleet/fixtures';
import { hookFunction, idOf, resourcesOf, statementsOf, statementsWith } from './fixtures';

const INVOKE = 'lambda:InvokeFunction';
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [idOf(construct), 'Arn'] });

/** GIVEN: a service with a Lambda hook at every point, a contract hook and two webhooks. */
function serviceWithHooks() {
  const { stack, service } = buildService();
  const fns = {
    expand: hookFunction(stack, 'Expand'),
    analysis: hookFunction(stack, 'Analysis'),
    gate: hookFunction(stack, 'Gate'),
    smoke: hookFunction(stack, 'Smoke'),
    contract: hookFunction(stack, 'Contract'),
    undo: hookFunction(stack, 'Undo'),
  };
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.expand, { name: 'expand', point: HookPoint.PRE_RELEASE }));
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.analysis, { name: 'analysis', point: HookPoint.STEP }));
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.gate, { name: 'gate', point: HookPoint.PRE_PROMOTION }));
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.smoke, { name: 'smoke', point: HookPoint.POST_PROMOTION }));
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.contract, { name: 'contract', point: HookPoint.POST_PROMOTION, contract: true }));
  service.addReleaseHook(ReleaseHook.lambdaFunction(fns.undo, { name: 'undo', point: HookPoint.ON_ROLLBACK }));
  service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/smoke', { name: 'web-smoke', point: HookPoint.POST_PROMOTION }));
  service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/rolled-back', { name: 'notify', point: HookPoint.ON_ROLLBACK }));
  return { stack, service, fns };
}

function operatorRole(stack: Stack, id = 'Pipeline'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
}

/** The alarms and automatic rollback of `service`, in `stack`. */
function autoRollbackOf(stack: Stack, service: BlueGreenService): AutoRollback {
  const alarms = new ServiceAlarms(stack, 'Alarms', { service });
  return new AutoRollback(stack, 'AutoRollback', { service, alarms });
}

const timeoutOf = (autoRollback: AutoRollback) => Template.fromStack(Stack.of(autoRollback)).toJSON().Resources[idOf(autoRollback.function)].Properties.Timeout;

describe('release hooks: grantRelease', () => {
  it('lets the CLI invoke exactly the hook functions, contract and on-rollback ones included, each by its ARN alone', () => {
    // GIVEN
    const { stack, service, fns } = serviceWithHooks();
    const role = operatorRole(stack);
    // WHEN
    const grant = service.grantRelease(role);
    // THEN
    expect(resourcesOf(role, INVOKE)).toEqual(Object.values(fns).map(arnOf));
    expect(statementsWith(role, INVOKE).map((s) => s.Action)).toEqual([INVOKE]);
    expect(grant.success).toBe(true);
  });

  it('grants hooks added after grantRelease too', () => {
    // GIVEN
    const { stack, service } = buildService();
    const role = operatorRole(stack);
    service.grantRelease(role);
    // WHEN
    const late = hookFunction(stack, 'Late');
    service.addReleaseHook(ReleaseHook.lambdaFunction(late, { name: 'late', point: HookPoint.STEP }));
    // THEN
    expect(resourcesOf(role, INVOKE)).toEqual([arnOf(late)]);
  });

  it('adds no IAM for a service without Lambda hooks (none, or webhooks only)', () => {
    // GIVEN
    const plain = buildService();
    const webhooks = buildService();
    webhooks.service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION }));
    const roles = [operatorRole(plain.stack), operatorRole(webhooks.stack)];
    // WHEN
    plain.service.grantRelease(roles[0]);
    webhooks.service.grantRelease(roles[1]);
    // THEN
    expect(statementsWith(roles[0], INVOKE)).toEqual([]);
    expect(statementsOf(roles[1])).toEqual(statementsOf(roles[0]));
  });

  it('grantInvokeReleaseHooks grants the functions of one point only', () => {
    // GIVEN
    const { stack, service, fns } = serviceWithHooks();
    const role = operatorRole(stack);
    // WHEN
    service.grantInvokeReleaseHooks(role, HookPoint.POST_PROMOTION);
    // THEN
    expect(resourcesOf(role, INVOKE)).toEqual([arnOf(fns.smoke), arnOf(fns.contract)]);
  });

  it('grantInvokeReleaseHooks returns a dropped grant while the point has no Lambda hook', () => {
    // GIVEN
    const { stack, service } = buildService();
    const role = operatorRole(stack);
    // WHEN
    const grant = service.grantInvokeReleaseHooks(role, HookPoint.STEP);
    // THEN
    expect(grant.success).toBe(false);
    expect(statementsOf(role)).toEqual([]);
  });
});

describe('release hooks: AutoRollback', () => {
  it('lets its function invoke exactly the on-rollback Lambda hooks', () => {
    // GIVEN
    const { stack, service, fns } = serviceWithHooks();
    // WHEN
    const autoRollback = autoRollbackOf(stack, service);
    // THEN
    expect(resourcesOf(autoRollback.role, INVOKE)).toEqual([arnOf(fns.undo)]);
  });

  it('grants an on-rollback hook added after it, and none of another point', () => {
    // GIVEN
    const { stack, service } = buildService();
    const autoRollback = autoRollbackOf(stack, service);
    // WHEN
    const undo = hookFunction(stack, 'Undo');
    service.addReleaseHook(ReleaseHook.lambdaFunction(undo, { name: 'undo', point: HookPoint.ON_ROLLBACK }));
    service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(stack, 'Expand'), { name: 'expand', point: HookPoint.PRE_RELEASE }));
    // THEN
    expect(resourcesOf(autoRollback.role, INVOKE)).toEqual([arnOf(undo)]);
  });

  it('does so from another stack, importing the function ARN', () => {
    // GIVEN the service and its hooks in one stack
    const { stack, service, fns } = serviceWithHooks();
    const monitoring = new Stack(stack.node.scope as never, 'Monitoring', { env: { region: 'eu-west-1' } });
    // WHEN its alarms and automatic rollback are in another
    const autoRollback = autoRollbackOf(monitoring, service);
    // THEN
    const resources = resourcesOf(autoRollback.role, INVOKE);
    expect(resources).toEqual([{ 'Fn::ImportValue': expect.stringContaining(idOf(fns.undo)) }]);
  });

  it('adds no IAM without on-rollback Lambda hooks, and keeps its one-minute timeout', () => {
    // GIVEN
    const { stack, service } = buildService();
    service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(stack, 'Expand'), { name: 'expand', point: HookPoint.PRE_RELEASE }));
    service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/rolled-back', { name: 'notify', point: HookPoint.ON_ROLLBACK, timeout: Duration.seconds(1), retries: 0 }));
    // WHEN
    const autoRollback = autoRollbackOf(stack, service);
    // THEN
    expect(statementsWith(autoRollback.role, INVOKE)).toEqual([]);
    expect(timeoutOf(autoRollback)).toBe(61);
    const plain = buildService();
    expect(timeoutOf(autoRollbackOf(plain.stack, plain.service))).toBe(60);
  });

  it('gives its function time for every on-rollback hook with all its attempts', () => {
    // GIVEN
    const small = buildService();
    small.service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/a', { name: 'a', point: HookPoint.ON_ROLLBACK, retries: 2 }));
    small.service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(small.stack, 'B'), { name: 'b', point: HookPoint.ON_ROLLBACK, timeout: Duration.minutes(2) }));
    // WHEN
    const smallRollback = autoRollbackOf(small.stack, small.service);
    // THEN 60 + 30 × 3 + 120 × 2
    expect(timeoutOf(smallRollback)).toBe(390);
  });

  it('refuses at synth on-rollback hooks that cannot all finish within a Lambda function\'s 15 minutes', () => {
    // GIVEN 60 + 600 × 2 s of rollback and hook attempts
    const large = buildService();
    large.service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(large.stack, 'C'), { name: 'c', point: HookPoint.ON_ROLLBACK, timeout: Duration.minutes(10) }));
    autoRollbackOf(large.stack, large.service);
    // WHEN / THEN
    expect(() => Template.fromStack(large.stack)).toThrow(/on-rollback hooks of 'web' need up to 1260 s .*c 600 s x 2.*lower their timeout or retries/);
  });
});
