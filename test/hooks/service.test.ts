import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BlueGreenService, HookPoint, IBlueGreenService, RegionRole, ReleaseHook, ReleaseManifest } from '../../constructs';
import { parseDescriptor } from '../../lib/contract';
import { buildService, freshStack, manifestObject } from '../fleet/fixtures';
import { descriptorOf, hookFunction, idOf } from './fixtures';

describe('BlueGreenService release hooks', () => {
  it('lists a Lambda hook in the descriptor with the function ARN as target', () => {
    // GIVEN
    const { stack, service } = buildService();
    const expand = hookFunction(stack, 'Expand');
    // WHEN
    service.addReleaseHook(ReleaseHook.lambdaFunction(expand, { name: 'expand-schema', point: HookPoint.PRE_RELEASE, timeout: Duration.minutes(10), retries: 2 }));
    // THEN
    expect(descriptorOf(service).releaseHooks).toEqual([
      { name: 'expand-schema', point: 'pre-release', kind: 'lambda', target: `<${idOf(expand)}.Arn>`, timeoutSeconds: 600, retries: 2, contract: false },
    ]);
  });

  it('lists a webhook with its URL, and a contract hook as a contract, in the order they were added', () => {
    // GIVEN
    const { stack, service } = buildService();
    const contract = hookFunction(stack, 'Contract');
    // WHEN
    service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/hooks/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION }));
    service.addReleaseHook(ReleaseHook.lambdaFunction(contract, { name: 'drop-old-column', point: HookPoint.POST_PROMOTION, contract: true }));
    // THEN
    expect(descriptorOf(service).releaseHooks).toEqual([
      { name: 'smoke', point: 'post-promotion', kind: 'webhook', target: 'https://ci.example.com/hooks/smoke', timeoutSeconds: 30, retries: 1, contract: false },
      { name: 'drop-old-column', point: 'post-promotion', kind: 'lambda', target: `<${idOf(contract)}.Arn>`, timeoutSeconds: 300, retries: 1, contract: true },
    ]);
    expect(service.releaseHooks.map((h) => h.name)).toEqual(['smoke', 'drop-old-column']);
  });

  it('takes hooks as a prop too, and the descriptor passes the contract\'s own validation', () => {
    // GIVEN
    const stack = freshStack();
    const fn = hookFunction(stack, 'Analysis');
    // WHEN
    const service = new BlueGreenService(stack, 'Web', {
      serviceName: 'web',
      manifest: ReleaseManifest.fromObject(manifestObject()),
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      releaseHooks: [
        ReleaseHook.lambdaFunction(fn, { name: 'analysis', point: HookPoint.STEP }),
        ReleaseHook.webhook('https://ci.example.com/rollback', { name: 'notify', point: HookPoint.ON_ROLLBACK }),
      ],
    });
    // THEN
    const json = descriptorOf(service);
    expect((json.releaseHooks as Array<{ name: string }>).map((h) => h.name)).toEqual(['analysis', 'notify']);
    expect(() => parseDescriptor(JSON.stringify(json), '/bluegreen/web/descriptor', 'web')).not.toThrow();
  });

  it('has no releaseHooks field in the descriptor without hooks', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    // THEN
    expect(descriptorOf(service)).not.toHaveProperty('releaseHooks');
    expect(service.releaseHooks).toEqual([]);
  });

  it('refuses a second hook with the same name, naming it', () => {
    // GIVEN
    const { service } = buildService();
    service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/a', { name: 'smoke', point: HookPoint.STEP }));
    // WHEN / THEN
    expect(() => service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/b', { name: 'smoke', point: HookPoint.POST_PROMOTION }))).toThrow(
      'addReleaseHook name: is already a release hook of service \'web\'; give each hook its own name. Got "smoke".',
    );
    expect(service.releaseHooks).toHaveLength(1);
  });

  it('resolves a token timeout in the descriptor', () => {
    // GIVEN
    const { service } = buildService();
    // WHEN
    service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/a', { name: 'smoke', point: HookPoint.STEP, timeout: Duration.seconds(Lazy.number({ produce: () => 45 })) }));
    // THEN
    expect(descriptorOf(service).releaseHooks).toEqual([expect.objectContaining({ timeoutSeconds: 45 })]);
  });

  it('warns when a hook function may outlive the hook\'s timeout, and not otherwise', () => {
    // GIVEN
    const { stack, service } = buildService();
    // WHEN
    service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(stack, 'Slow', Duration.minutes(10)), { name: 'slow', point: HookPoint.PRE_RELEASE }));
    service.addReleaseHook(ReleaseHook.lambdaFunction(hookFunction(stack, 'Fast', Duration.minutes(1)), { name: 'fast', point: HookPoint.PRE_RELEASE }));
    // THEN
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('Release hook'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/^Release hook 'slow': its function may run 10 minutes, longer than the hook's timeout \(5 minutes\);.*\[ack: cdk-bluegreen:hookTimeoutShorterThanFunction\]$/),
    ]);
  });

  it('lets a hook live in another stack than its function', () => {
    // GIVEN a function in a stack of its own
    const { stack, service } = buildService();
    const other = new Stack(stack.node.scope as never, 'Migrations', { env: { region: 'eu-west-1' } });
    const fn = hookFunction(other, 'Expand');
    // WHEN
    service.addReleaseHook(ReleaseHook.lambdaFunction(fn, { name: 'expand', point: HookPoint.PRE_RELEASE }));
    // THEN the descriptor imports the ARN the other stack exports
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('Fn::ImportValue');
    Template.fromStack(other).hasOutput('*', { Export: Match.anyValue() });
    const asInterface: IBlueGreenService = service;
    expect(asInterface.releaseHooks[0].function).toBe(fn);
  });

  it('refuses a release hook on a service with a disasterRecovery role, naming the hook and the way round', () => {
    // GIVEN a primary of a DR pair
    const { service } = buildService({ disasterRecovery: RegionRole.primary({ standbyRegion: 'eu-central-1' }) });
    // WHEN / THEN
    expect(() => service.addReleaseHook(ReleaseHook.webhook('https://ci.example.com/expand', { name: 'expand', point: HookPoint.PRE_RELEASE }))).toThrow(
      /addReleaseHook: cannot be added to service 'web', which has a disasterRecovery role: release hooks are not supported with a standby Region yet.*Got "expand"/,
    );
  });
});
