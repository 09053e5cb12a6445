import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Healing } from '../../constructs';
import { QUARANTINE_HOOK_NAME } from '../../lib/contract';
import { buildService, idsOfType, manifestObject, resources } from '../fleet/fixtures';
import { idOf, quarantinedService } from './fixtures';

describe('healing of the colours\' Auto Scaling groups', () => {
  it('launches before terminating on both groups by default (maintenance policy 100 % to 200 %), without a hook or lifecycle policy', () => {
    // GIVEN / WHEN
    const { service, template } = buildService();
    const t = template();
    // THEN
    expect(service.healing.name).toBe('replace');
    expect(service.quarantine).toBeUndefined();
    expect(service.blue.quarantineHook).toBeUndefined();
    const groups = t.findResources('AWS::AutoScaling::AutoScalingGroup');
    expect(Object.keys(groups)).toHaveLength(2);
    for (const group of Object.values(groups)) {
      expect(group.Properties.InstanceMaintenancePolicy).toEqual({ MinHealthyPercentage: 100, MaxHealthyPercentage: 200 });
      expect(group.Properties.InstanceLifecyclePolicy).toBeUndefined();
    }
    t.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
  });

  it('keeps the maintenance policy with Healing.replace() given explicitly, and on a colour in standby', () => {
    // GIVEN / WHEN
    const { template } = buildService({ healing: Healing.replace() }, manifestObject({ green: { image: 'ami-0fedcba9876543210', mode: 'standby' } }));
    // THEN
    template().resourcePropertiesCountIs('AWS::AutoScaling::AutoScalingGroup', { InstanceMaintenancePolicy: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }, 2);
  });

  it('with quarantine, adds the termination hook to both groups: its name, CONTINUE by default, a 5-minute heartbeat, no notification target', () => {
    // GIVEN / WHEN
    const { service, template } = quarantinedService();
    const t = template();
    // THEN
    const hooks = t.findResources('AWS::AutoScaling::LifecycleHook');
    expect(Object.values(hooks).map((h) => h.Properties)).toEqual(
      [service.blue, service.green].map((f) => ({
        AutoScalingGroupName: { Ref: idOf(service, f.autoScalingGroup) },
        LifecycleHookName: QUARANTINE_HOOK_NAME,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        DefaultResult: 'CONTINUE',
        HeartbeatTimeout: 300,
      })),
    );
    expect(service.blue.quarantineHook).toBeDefined();
    expect(service.green.quarantineHook).toBeDefined();
  });

  it('with quarantine, retains an instance whose hook is abandoned, on both groups, beside the maintenance policy', () => {
    // GIVEN / WHEN
    const { template } = quarantinedService();
    // THEN
    template().resourcePropertiesCountIs(
      'AWS::AutoScaling::AutoScalingGroup',
      {
        InstanceLifecyclePolicy: { RetentionTriggers: { TerminateHookAbandon: 'retain' } },
        InstanceMaintenancePolicy: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 },
      },
      2,
    );
  });

  it('keeps every existing resource\'s logical id: quarantine only adds resources and properties', () => {
    // GIVEN
    const plain = buildService().template();
    // WHEN
    const quarantined = quarantinedService().template();
    // THEN every resource of the plain service is still there under the same id and type
    const before = resources(plain);
    const after = resources(quarantined);
    for (const [id, r] of Object.entries(before)) expect(after[id]?.Type, id).toBe(r.Type);
    // and the groups differ only by the lifecycle policy (and the deletion-order dependency)
    for (const id of idsOfType(plain, 'AWS::AutoScaling::AutoScalingGroup')) {
      const { InstanceLifecyclePolicy, ...rest } = after[id].Properties ?? {};
      expect(InstanceLifecyclePolicy).toBeDefined();
      expect(rest).toEqual(before[id].Properties);
    }
  });

  it('with quarantine, the lifecycle events of both groups at the hook reach EventBridge (no notification role or target)', () => {
    // GIVEN / WHEN
    const { template } = quarantinedService();
    // THEN
    template().hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      NotificationTargetARN: Match.absent(),
      RoleARN: Match.absent(),
    });
  });
});
