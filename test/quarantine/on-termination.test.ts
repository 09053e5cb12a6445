import { describe, expect, it } from 'vitest';
import { QUARANTINE_TAGS, QuarantineEntry } from '../../lib/contract';
import { HookOutcome, RETAINED_CHECK_INTERVAL_MS, RETAINED_CHECKS } from '../../lib/release/quarantine';
import { activityOf, CAUSES, FAILING_TARGET, FakeWorld, GROUPS, IMAGE, ORIGINAL_SGS, policyWith, QUARANTINE_SG, SERVICE, T0, TARGET_GROUPS } from './fakes';

const iso = (ms: number) => new Date(ms).toISOString();

/** A world with one running blue instance that the group is terminating for `cause` (null: it gave none). */
function condemned(cause: string | null = CAUSES.elb, world = new FakeWorld()) {
  world.launch('i-1', 'blue');
  const event = world.condemn('i-1', cause ?? undefined);
  return { world, event };
}

describe('onTermination: keeping a sick instance', () => {
  it('GIVEN an ELB health check failure WHEN the hook fires THEN the instance is isolated, evidence captured, kept, the hook abandoned, then notified and gauged, in that order', async () => {
    // GIVEN
    const { world, event } = condemned();
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN the steps run in the documented order
    expect(world.names()).toEqual([
      'autoScaling.groupDeleting',
      'autoScaling.terminationActivity',
      'store.read',
      'store.write',
      'instances.describe',
      'instances.targetHealth',
      'instances.deregister',
      'instances.tag',
      'instances.replaceSecurityGroups',
      'instances.consoleOutput',
      'evidence.put',
      'store.read',
      'store.write',
      'autoScaling.completeLifecycleAction',
      'notifier.notify',
      'gauge.publish',
    ]);
    expect(world.completions()).toEqual([{ token: event.lifecycleActionToken, result: 'ABANDON' }]);
    // AND the instance is out of its target group, in the quarantine group only, retained
    const inst = world.instances.get('i-1')!;
    expect(inst).toMatchObject({ registered: false, securityGroupIds: [QUARANTINE_SG], state: 'running' });
    expect(world.calls.find((c) => c.name === 'instances.deregister')?.args).toEqual([TARGET_GROUPS.blue, 'i-1']);
    expect([...world.retained.blue]).toEqual(['i-1']);
    // AND the outcome and the record hold the kept entry
    const reasons = [CAUSES.elb, 'load balancer: Target.ResponseCodeMismatch: Health checks failed with these codes: [502]'];
    const entry: QuarantineEntry = {
      instanceId: 'i-1',
      colour: 'blue',
      autoScalingGroupName: GROUPS.blue,
      state: 'kept',
      claimedAt: iso(T0),
      lifecycleActionToken: event.lifecycleActionToken,
      since: iso(T0),
      expiresAt: iso(T0 + 24 * 3_600_000),
      reasons,
      imageId: IMAGE,
      originalSecurityGroups: ORIGINAL_SGS,
      evidence: `s3://shop-logs/quarantine/${SERVICE}/i-1/evidence.json`,
    };
    expect(outcome).toEqual({ action: 'kept', instanceId: 'i-1', colour: 'blue', entry });
    expect(world.record()?.entries).toEqual([entry]);
    expect(world.record()?.replacements).toEqual([{ colour: 'blue', instanceId: 'i-1', at: iso(T0) }]);
    expect(world.gauges).toEqual([{ blue: 1, green: 0 }]);
  });

  it('GIVEN a kept instance WHEN its tags are read THEN they say why, since when, until when, the image and the original groups', async () => {
    // GIVEN / WHEN
    const { world, event } = condemned();
    await world.controller().onTermination(event);
    // THEN
    expect(world.instances.get('i-1')!.tags).toEqual({
      'bluegreen:service': SERVICE,
      'bluegreen:colour': 'blue',
      [QUARANTINE_TAGS.STATE]: 'kept',
      [QUARANTINE_TAGS.REASONS]: `${CAUSES.elb}; load balancer: Target.ResponseCodeMismatch: Health checks failed with these codes: [502]`,
      [QUARANTINE_TAGS.SINCE]: iso(T0),
      [QUARANTINE_TAGS.EXPIRES]: iso(T0 + 24 * 3_600_000),
      [QUARANTINE_TAGS.IMAGE]: IMAGE,
      [QUARANTINE_TAGS.ORIGINAL_GROUPS]: 'sg-app sg-ssm',
    });
  });

  it('GIVEN a long load balancer reason WHEN tagged THEN the reasons tag is cut to 256 characters while the record keeps all', async () => {
    // GIVEN
    const world = new FakeWorld();
    world.launch('i-1', 'blue', { targetHealth: { state: 'unhealthy', reason: 'Target.Timeout', description: 'x'.repeat(400) } });
    const event = world.condemn('i-1', CAUSES.elb);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    const tag = world.instances.get('i-1')!.tags[QUARANTINE_TAGS.REASONS];
    expect(tag).toHaveLength(256);
    expect(tag.endsWith('…')).toBe(true);
    expect(outcome.action === 'kept' && outcome.entry.reasons[1]).toHaveLength('load balancer: Target.Timeout: '.length + 400);
  });

  it.each([
    ['draining', 'Target.DeregistrationInProgress', 'Target deregistration is in progress'],
    ['unused', 'Target.NotRegistered', 'Target is not registered to the target group'],
    ['unused', 'Target.InvalidState', 'Target is in the stopped or terminated state'],
  ])('GIVEN the group drained the target before the hook (%s, %s) WHEN kept THEN that is no reason of the instance, the evidence keeps it, and it is still deregistered', async (state, reason, description) => {
    // GIVEN
    const world = new FakeWorld();
    world.launch('i-1', 'blue', { targetHealth: { state, reason, description } });
    const event = world.condemn('i-1', CAUSES.elb);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN the reasons, in the record and the tags, are the group's only
    expect(outcome).toMatchObject({ action: 'kept', entry: { reasons: [CAUSES.elb] } });
    expect(world.instances.get('i-1')!.tags[QUARANTINE_TAGS.REASONS]).toBe(CAUSES.elb);
    // AND the evidence has what DescribeTargetHealth said at hook time
    const body = JSON.parse(world.evidence.get(`quarantine/${SERVICE}/i-1/evidence.json`)!);
    expect(body.targetHealthAtHook).toEqual({ state, reason, description });
    // AND the deregister call is made all the same (idempotent)
    expect(world.calls.filter((c) => c.name === 'instances.deregister').map((c) => c.args)).toEqual([[TARGET_GROUPS.blue, 'i-1']]);
  });

  it('GIVEN the target is no longer registered at hook time WHEN kept THEN no load balancer reason and no target health in the evidence', async () => {
    const world = new FakeWorld();
    world.launch('i-1', 'blue', { registered: false });
    const outcome = await world.controller().onTermination(world.condemn('i-1', CAUSES.elb));
    expect(outcome).toMatchObject({ action: 'kept', entry: { reasons: [CAUSES.elb] } });
    expect(JSON.parse(world.evidence.get(`quarantine/${SERVICE}/i-1/evidence.json`)!)).not.toHaveProperty('targetHealthAtHook');
  });

  it('GIVEN a policy without a region WHEN notified THEN the Session Manager command names none', async () => {
    const { world, event } = condemned(CAUSES.elb, new FakeWorld(policyWith({ region: undefined })));
    await world.controller().onTermination(event);
    expect(world.notices[0].message).toContain('aws ssm start-session --target i-1\n');
  });

  it("GIVEN a kept instance WHEN its evidence is read THEN it holds the cause, the group's activity, the target's health, the console output and the original groups", async () => {
    // GIVEN / WHEN
    const { world, event } = condemned(CAUSES.ec2);
    await world.controller().onTermination(event);
    // THEN
    const body = JSON.parse(world.evidence.get(`quarantine/${SERVICE}/i-1/evidence.json`)!);
    expect(body).toEqual({
      service: SERVICE,
      instanceId: 'i-1',
      colour: 'blue',
      autoScalingGroupName: GROUPS.blue,
      lifecycleActionToken: event.lifecycleActionToken,
      capturedAt: iso(T0),
      cause: CAUSES.ec2,
      check: 'ec2',
      activity: activityOf('i-1', CAUSES.ec2),
      targetHealthAtHook: FAILING_TARGET,
      imageId: IMAGE,
      instanceState: 'running',
      originalSecurityGroups: ORIGINAL_SGS,
      consoleOutput: 'boot log of i-1\nkernel: Out of memory',
    });
  });

  it('GIVEN snapshots asked for WHEN kept THEN volumes are snapshotted after the evidence and before the record is marked kept', async () => {
    // GIVEN
    const { world, event } = condemned(CAUSES.custom, new FakeWorld(policyWith({ snapshots: true })));
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    const names = world.names();
    expect(names.indexOf('instances.snapshot')).toBe(names.indexOf('evidence.put') + 1);
    expect(names.lastIndexOf('store.write')).toBeGreaterThan(names.indexOf('instances.snapshot'));
    expect(outcome).toMatchObject({ action: 'kept', entry: { snapshots: ['snap-i-1'] } });
    expect(world.snapshots.get('snap-i-1')).toMatchObject({ 'bluegreen:service': SERVICE, 'bluegreen:colour': 'blue', [QUARANTINE_TAGS.SINCE]: iso(T0) });
  });

  it('GIVEN a kept instance WHEN notified THEN the topic hears which instance, why, until when and how to connect', async () => {
    // GIVEN / WHEN
    const { world, event } = condemned();
    await world.controller().onTermination(event);
    // THEN
    expect(world.notices).toHaveLength(1);
    const [notice] = world.notices;
    expect(notice.subject).toBe('bluegreen shop: i-1 (blue) kept in quarantine');
    expect(notice.message).toContain(`until ${iso(T0 + 24 * 3_600_000)}`);
    expect(notice.message).toContain(CAUSES.elb);
    expect(notice.message).toContain('aws ssm start-session --target i-1 --region eu-west-1');
    expect(notice.message).toContain('bluegreen quarantine terminate shop i-1');
  });

  it('GIVEN the ABANDON comes WHEN the call log is read THEN it follows the deregistration, the tags, the group swap, the evidence and the kept write, never precedes them', async () => {
    // GIVEN / WHEN
    const { world, event } = condemned();
    let stateAtAbandon: unknown;
    world.before = (call) => {
      if (call.name === 'autoScaling.completeLifecycleAction') stateAtAbandon = { ...world.instances.get('i-1')!, entry: world.record()?.entries[0]?.state };
    };
    await world.controller().onTermination(event);
    // THEN
    expect(stateAtAbandon).toMatchObject({ registered: false, securityGroupIds: [QUARANTINE_SG], tags: { [QUARANTINE_TAGS.STATE]: 'kept' }, entry: 'kept' });
    const names = world.names();
    const abandon = names.indexOf('autoScaling.completeLifecycleAction');
    for (const step of ['instances.deregister', 'instances.tag', 'instances.replaceSecurityGroups', 'evidence.put']) expect(names.indexOf(step)).toBeLessThan(abandon);
  });
});

describe('onTermination: terminations that continue', () => {
  it.each([
    ['scale-in', CAUSES.scaleIn],
    ['a colour going to standby (min=max=desired=0)', CAUSES.standby],
    ['an instance refresh', CAUSES.refresh],
    ['a user request', CAUSES.userRequest],
    ['an instance stopped or terminated outside the group', CAUSES.stopped],
    ['no cause at all', null],
  ])('GIVEN %s WHEN the hook fires THEN CONTINUE, nothing written, nothing counted', async (_name, cause) => {
    // GIVEN
    const { world, event } = condemned(cause);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'terminated', instanceId: 'i-1', colour: 'blue', healthDriven: false, reason: expect.stringContaining('not health-driven') });
    expect(world.mutations()).toEqual(['autoScaling.completeLifecycleAction']);
    expect(world.completions()).toEqual([{ token: event.lifecycleActionToken, result: 'CONTINUE' }]);
    expect(world.instances.get('i-1')!.state).toBe('terminated');
    expect(world.record()).toBeUndefined();
  });

  it('GIVEN the group is being deleted (stack deletion) WHEN a health-driven termination fires THEN CONTINUE without reading the cause', async () => {
    // GIVEN
    const { world, event } = condemned(CAUSES.elb);
    world.deleting.add(GROUPS.blue);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'terminated', healthDriven: false, reason: `${GROUPS.blue} is being deleted` });
    expect(world.names()).toEqual(['autoScaling.groupDeleting', 'autoScaling.completeLifecycleAction']);
    expect(world.completions()[0].result).toBe('CONTINUE');
  });

  it('GIVEN a group that is not one of the colours WHEN its action arrives THEN CONTINUE and nothing else', async () => {
    // GIVEN
    const { world, event } = condemned(CAUSES.elb);
    // WHEN
    const outcome = await world.controller().onTermination({ ...event, autoScalingGroupName: 'someone-elses-asg' });
    // THEN
    expect(outcome).toEqual({ action: 'terminated', instanceId: 'i-1', healthDriven: false, reason: "someone-elses-asg is not one of shop's colour groups" });
    expect(world.names()).toEqual(['autoScaling.completeLifecycleAction']);
    expect(world.completions()[0].result).toBe('CONTINUE');
  });

  it('GIVEN an action of another hook on a colour group WHEN delivered THEN it is left to its owner: no lifecycle call', async () => {
    const { world, event } = condemned(CAUSES.elb);
    const outcome = await world.controller().onTermination({ ...event, lifecycleHookName: 'drain-connections' });
    expect(outcome).toMatchObject({ action: 'terminated', healthDriven: false, reason: expect.stringContaining('left to its owner') });
    expect(world.calls).toEqual([]);
  });

  it('GIVEN the group cannot be read WHEN the hook fires THEN CONTINUE (fail open)', async () => {
    const { world, event } = condemned(CAUSES.elb);
    world.fail('autoScaling.terminationActivity');
    const outcome = await world.controller().onTermination(event);
    expect(outcome).toMatchObject({ action: 'terminated', healthDriven: false, reason: expect.stringContaining('could not read why') });
    expect(world.completions()[0].result).toBe('CONTINUE');
  });

  it('GIVEN blue already keeps one WHEN another blue fails its health check THEN CONTINUE over the cap, counted, gauge published', async () => {
    // GIVEN
    const world = new FakeWorld();
    world.launch('i-1', 'blue');
    world.launch('i-2', 'blue');
    await world.controller().onTermination(world.condemn('i-1', CAUSES.elb));
    // WHEN
    const event = world.condemn('i-2', CAUSES.elb);
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toEqual({ action: 'terminated', instanceId: 'i-2', colour: 'blue', healthDriven: true, reason: 'over a cap: blue already keeps 1 of at most 1 (keepPerColour)' });
    expect(world.instances.get('i-2')!.state).toBe('terminated');
    expect(world.record()?.entries.map((e) => e.instanceId)).toEqual(['i-1']);
    expect(world.gauges.at(-1)).toEqual({ blue: 2, green: 0 });
  });

  it('GIVEN keepPerColour 0 WHEN three blue instances fail THEN none is kept and all three are counted', async () => {
    // GIVEN
    const world = new FakeWorld(policyWith({ keepPerColour: 0 }));
    // WHEN
    for (const id of ['i-1', 'i-2', 'i-3']) {
      world.launch(id, 'blue');
      world.now += 1000;
      expect(await world.controller().onTermination(world.condemn(id, CAUSES.elb))).toMatchObject({ action: 'terminated', healthDriven: true });
    }
    // THEN
    expect(world.record()?.entries).toEqual([]);
    expect(world.gauges).toEqual([{ blue: 1, green: 0 }, { blue: 2, green: 0 }, { blue: 3, green: 0 }]);
    expect(world.names()).not.toContain('instances.deregister');
  });

  it('GIVEN a replacement older than the flapping window WHEN another fails THEN the old mark is trimmed from the record', async () => {
    // GIVEN
    const world = new FakeWorld(policyWith({ keepPerColour: 0 }));
    world.launch('i-1', 'blue');
    world.launch('i-2', 'blue');
    await world.controller().onTermination(world.condemn('i-1', CAUSES.elb));
    // WHEN 16 minutes later
    world.now += 16 * 60_000;
    await world.controller().onTermination(world.condemn('i-2', CAUSES.elb));
    // THEN
    expect(world.record()?.replacements.map((m) => m.instanceId)).toEqual(['i-2']);
    expect(world.gauges.at(-1)).toEqual({ blue: 1, green: 0 });
  });
});

describe('onTermination: a failure in the middle of isolating', () => {
  const steps: Array<[string, string, number?]> = [
    ['describe', 'instances.describe'],
    ['target health', 'instances.targetHealth'],
    ['deregister', 'instances.deregister'],
    ['tag', 'instances.tag'],
    ['security groups', 'instances.replaceSecurityGroups'],
    ['console output', 'instances.consoleOutput'],
    ['evidence', 'evidence.put'],
    ['snapshot', 'instances.snapshot'],
    ['record write', 'store.write', 2],
  ];

  it.each(steps)('GIVEN the %s step fails WHEN the hook fires THEN the claim is dropped, CONTINUE, notified, failed-open, never kept', async (step, call, nth) => {
    // GIVEN
    const { world, event } = condemned(CAUSES.elb, new FakeWorld(policyWith({ snapshots: true })));
    world.fail(call, nth);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toEqual({ action: 'failed-open', instanceId: 'i-1', colour: 'blue', error: `${step}: ${call} failed (injected)` });
    expect(world.completions()).toEqual([{ token: event.lifecycleActionToken, result: 'CONTINUE' }]);
    expect(world.record()?.entries).toEqual([]);
    expect(world.retained.blue.size).toBe(0);
    expect(world.instances.get('i-1')!.state).toBe('terminated');
    expect(world.notices).toEqual([expect.objectContaining({ subject: 'bluegreen shop: could not quarantine i-1 (blue)', message: expect.stringContaining('went on (fail open)') })]);
    // AND the failed replacement still counts for flapping
    expect(world.record()?.replacements.map((m) => m.instanceId)).toEqual(['i-1']);
    expect(world.gauges).toEqual([{ blue: 1, green: 0 }]);
  });

  it('GIVEN the ABANDON call fails WHEN the hook fires THEN the kept entry is dropped again, CONTINUE, failed-open', async () => {
    // GIVEN
    const { world, event } = condemned();
    world.fail('autoScaling.completeLifecycleAction', 1);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'failed-open', error: 'abandon: autoScaling.completeLifecycleAction failed (injected)' });
    expect(world.completions()).toEqual([
      { token: event.lifecycleActionToken, result: 'ABANDON' },
      { token: event.lifecycleActionToken, result: 'CONTINUE' },
    ]);
    expect(world.record()?.entries).toEqual([]);
    expect(world.instances.get('i-1')!.state).toBe('terminated');
  });

  it('GIVEN the instance is already gone WHEN the hook fires THEN failed-open at describe', async () => {
    const { world, event } = condemned();
    world.instances.get('i-1')!.state = 'shutting-down';
    const outcome = await world.controller().onTermination(event);
    expect(outcome).toMatchObject({ action: 'failed-open', error: 'describe: the instance is shutting-down: nothing to keep' });
    expect(world.record()?.entries).toEqual([]);
  });

  it('GIVEN the claim cannot be released either WHEN isolating fails THEN it still continues, and says the claim is left for the sweep', async () => {
    // GIVEN every write after the claim fails
    const { world, event } = condemned();
    world.fail('instances.tag');
    world.fail('store.write', 2);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'failed-open', error: 'tag: instances.tag failed (injected)', warnings: [expect.stringContaining('the sweep drops it once the instance is gone')] });
    expect(world.completions().map((c) => c.result)).toEqual(['CONTINUE']);
    expect(world.record()?.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', state: 'isolating' })]);
  });

  it('GIVEN the record is busy when the claim is to be released WHEN isolating fails THEN CONTINUE comes first, before any compare-and-set try', async () => {
    // GIVEN tagging fails, and from then on every write loses to another writer
    const { world, event } = condemned();
    world.fail('instances.tag');
    let nowAtContinue: number | undefined;
    world.before = (call) => {
      if (call.name === 'instances.tag') world.conflicts = 5;
      if (call.name === 'autoScaling.completeLifecycleAction') nowAtContinue = world.now;
    };
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN the action is continued right after the failure, with no back-off before it
    const names = world.names();
    const tag = names.indexOf('instances.tag');
    expect(names.slice(tag + 1, tag + 3)).toEqual(['autoScaling.completeLifecycleAction', 'store.read']);
    expect(nowAtContinue).toBe(T0);
    expect(world.completions()).toEqual([{ token: event.lifecycleActionToken, result: 'CONTINUE' }]);
    // AND releasing the claim gave up, said as a warning
    expect(outcome).toMatchObject({ action: 'failed-open', warnings: [expect.stringContaining('could not release the claim')] });
  });

  it('GIVEN the record cannot be read WHEN a health-driven termination fires THEN CONTINUE with nothing isolated', async () => {
    const { world, event } = condemned();
    world.fail('store.read');
    const outcome = await world.controller().onTermination(event);
    expect(outcome).toMatchObject({ action: 'terminated', colour: 'blue', healthDriven: true, reason: expect.stringContaining('could not claim a place') });
    expect(world.names()).not.toContain('instances.describe');
    expect(world.completions().map((c) => c.result)).toEqual(['CONTINUE']);
  });

  it('GIVEN the notification and the gauge fail WHEN kept THEN it is still kept, with warnings', async () => {
    const { world, event } = condemned();
    world.fail('notifier.notify');
    world.fail('gauge.publish');
    const outcome = await world.controller().onTermination(event);
    expect(outcome).toMatchObject({
      action: 'kept',
      warnings: ['could not notify: notifier.notify failed (injected)', 'could not publish the flapping gauge: gauge.publish failed (injected)'],
    });
    expect(world.retained.blue.has('i-1')).toBe(true);
  });

  it('GIVEN the lifecycle action already ended WHEN ABANDON finds nothing waiting THEN the entry is dropped and the outcome says the group terminated it', async () => {
    // GIVEN the action timed out (and continued) while isolating
    const { world, event } = condemned();
    world.before = (call) => {
      if (call.name === 'evidence.put') world.actions.get(event.lifecycleActionToken)!.result = 'CONTINUE';
    };
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'terminated', healthDriven: true, reason: expect.stringContaining('had already ended') });
    expect(world.record()?.entries).toEqual([]);
    expect(world.notices[0].subject).toBe('bluegreen shop: i-1 (blue) not kept, hook timed out');
    // AND it checked, three times 2 s apart, that the group does not retain it before dropping the entry
    expect(world.names().slice(-8)).toEqual([
      'autoScaling.completeLifecycleAction',
      'autoScaling.retainedInstances',
      'autoScaling.retainedInstances',
      'autoScaling.retainedInstances',
      'store.read',
      'store.write',
      'notifier.notify',
      'gauge.publish',
    ]);
    expect([RETAINED_CHECKS, RETAINED_CHECK_INTERVAL_MS]).toEqual([3, 2000]);
    expect(world.now).toBe(T0 + 2 * RETAINED_CHECK_INTERVAL_MS);
  });
});

describe('onTermination: compare-and-set', () => {
  it('GIVEN two conflicting writers WHEN claiming THEN it re-reads, decides again and keeps', async () => {
    const { world, event } = condemned();
    world.conflicts = 2;
    const outcome = await world.controller().onTermination(event);
    expect(outcome.action).toBe('kept');
    expect(world.names().filter((n) => n === 'store.read')).toHaveLength(4);
  });

  it('GIVEN the record keeps changing (5 conflicts) WHEN claiming THEN after 5 tries CONTINUE, then one more write counts the replacement', async () => {
    // GIVEN
    const { world, event } = condemned();
    world.conflicts = 5;
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN the claim gave up and the termination went on
    expect(outcome).toEqual({ action: 'terminated', instanceId: 'i-1', colour: 'blue', healthDriven: true, reason: expect.stringContaining('kept changing under 5 compare-and-set tries') });
    expect(world.completions().map((c) => c.result)).toEqual(['CONTINUE']);
    // AND after the CONTINUE, one more read and write added just its mark, and the gauge counts it
    expect(world.names().slice(-5)).toEqual(['store.write', 'autoScaling.completeLifecycleAction', 'store.read', 'store.write', 'gauge.publish']);
    expect(world.names().filter((n) => n === 'store.write')).toHaveLength(6);
    expect(world.record()).toMatchObject({ entries: [], replacements: [{ colour: 'blue', instanceId: 'i-1', at: iso(world.now) }] });
    expect(world.gauges).toEqual([{ blue: 1, green: 0 }]);
  });

  it('GIVEN the record conflicts 6 times WHEN claiming THEN CONTINUE, the one extra try to count it fails too, said as a warning', async () => {
    const { world, event } = condemned();
    world.conflicts = 6;
    const outcome = await world.controller().onTermination(event);
    expect(outcome).toMatchObject({ action: 'terminated', healthDriven: true, warnings: [expect.stringContaining('could not count the replacement for flapping either')] });
    expect(world.names().filter((n) => n === 'store.write')).toHaveLength(6);
    expect(world.completions().map((c) => c.result)).toEqual(['CONTINUE']);
    expect(world.record()?.replacements).toEqual([]);
    expect(world.gauges).toEqual([]);
  });

  it('GIVEN conflicts while marking kept WHEN isolating THEN the kept write is retried and the claim kept', async () => {
    const { world, event } = condemned();
    world.before = (call) => {
      if (call.name === 'evidence.put') world.conflicts = 3;
    };
    expect((await world.controller().onTermination(event)).action).toBe('kept');
  });
});

describe('onTermination: races between hook events for one instance', () => {
  it('GIVEN the same action delivered twice at once WHEN both run THEN one keeps, the other is a duplicate that never continues it', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      // GIVEN
      const world = new FakeWorld(policyWith(), seed);
      world.launch('i-1', 'blue');
      const event = world.condemn('i-1', CAUSES.elb);
      world.interleave = true;
      // WHEN
      const outcomes = await Promise.all([world.controller().onTermination(event), world.controller().onTermination(event)]);
      // THEN the second either saw the claim (no lifecycle call) or the kept entry (ABANDON again)
      const label = `seed ${seed}`;
      expect(outcomes.map((o) => o.action).sort(), label).toEqual(['duplicate', 'kept']);
      const results = world.completions().map((c) => c.result);
      expect(new Set(results), label).toEqual(new Set(['ABANDON']));
      expect(world.retained.blue.has('i-1'), label).toBe(true);
      expect(world.record()?.replacements, label).toHaveLength(1);
    }
  });

  it('GIVEN a fresh isolating claim of the same token WHEN the action is re-delivered THEN duplicate with no lifecycle call and nothing written', async () => {
    // GIVEN
    const { world, event } = condemned();
    world.seedRecord({ schemaVersion: 1, service: SERVICE, entries: [claimOf(event.lifecycleActionToken, T0 - 60_000)], replacements: [] });
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'duplicate', instanceId: 'i-1', reason: expect.stringContaining('being isolated') });
    expect(world.mutations()).toEqual([]);
  });

  it('GIVEN a stale claim (older than the hook timeout) WHEN the instance\'s action arrives THEN it is decided anew and kept under the new action', async () => {
    // GIVEN a claim from a run that died 6 minutes ago
    const { world, event } = condemned();
    world.seedRecord({ schemaVersion: 1, service: SERVICE, entries: [claimOf('dead-token', T0 - 360_000)], replacements: [] });
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'kept', entry: { lifecycleActionToken: event.lifecycleActionToken, claimedAt: iso(T0) } });
    expect(world.record()?.entries).toHaveLength(1);
  });

  it('GIVEN an instance already kept WHEN its action is delivered again THEN ABANDON again (idempotent), never CONTINUE, duplicate', async () => {
    // GIVEN
    const { world, event } = condemned();
    await world.controller().onTermination(event);
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'duplicate', reason: expect.stringContaining('already kept') });
    expect(world.completions().map((c) => c.result)).toEqual(['ABANDON', 'ABANDON']);
    expect(world.retained.blue.has('i-1')).toBe(true);
    expect(world.record()?.entries).toEqual([expect.objectContaining({ state: 'kept' })]);
  });

  it('GIVEN an instance kept WHEN a new lifecycle action (another token) of it arrives THEN CONTINUE, never ABANDON: someone terminates the kept instance', async () => {
    // GIVEN i-1 kept under its first action
    const { world, event } = condemned();
    await world.controller().onTermination(event);
    // WHEN an operator terminates it (TerminateInstanceInAutoScalingGroup) and the group's newest activity still
    // reads as the health check
    const again = world.condemn('i-1', CAUSES.elb);
    const outcome = await world.controller().onTermination(again);
    // THEN
    expect(outcome).toEqual({ action: 'terminated', instanceId: 'i-1', colour: 'blue', healthDriven: false, reason: expect.stringContaining('a new termination of it') });
    expect(world.completions()).toEqual([
      { token: event.lifecycleActionToken, result: 'ABANDON' },
      { token: again.lifecycleActionToken, result: 'CONTINUE' },
    ]);
    expect(world.instances.get('i-1')!.state).toBe('terminated');
    expect(world.retained.blue.size).toBe(0);
    // AND nothing is written or counted again (the sweep drops the entry once the instance is gone)
    expect(world.record()?.replacements).toHaveLength(1);
    expect(world.record()?.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', lifecycleActionToken: event.lifecycleActionToken })]);
  });

  it('GIVEN a duplicate delivery abandons first (it saw the entry kept) WHEN this run abandons THEN it finds the instance Retained and reports it kept', async () => {
    // GIVEN the second delivery runs to its end between this run's kept write and its ABANDON
    const { world, event } = condemned();
    let second: HookOutcome | undefined;
    world.before = async (call) => {
      if (call.name === 'autoScaling.completeLifecycleAction' && !second) {
        const pending = world.controller().onTermination(event);
        second = { action: 'duplicate', instanceId: 'i-1', reason: 'still running' };
        second = await pending;
      }
    };
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(second).toMatchObject({ action: 'duplicate', reason: expect.stringContaining('already kept') });
    expect(outcome).toMatchObject({ action: 'kept', instanceId: 'i-1' });
    expect(world.completions().map((c) => c.result)).toEqual(['ABANDON', 'ABANDON']);
    expect(world.record()?.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', state: 'kept' })]);
    expect(world.retained.blue.has('i-1')).toBe(true);
  });

  it('GIVEN a duplicate delivery abandoned first and the instance shows Retained only 3 s later (Terminating:Proceed first) WHEN this run abandons THEN it checks again, 2 s apart, and reports it kept', async () => {
    // GIVEN
    const { world, event } = condemned();
    world.retainDelayMs = 3000;
    let second: Promise<HookOutcome> | undefined;
    world.before = async (call) => {
      if (call.name === 'autoScaling.completeLifecycleAction' && !second) {
        second = world.controller().onTermination(event);
        await second;
      }
    };
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(await second).toMatchObject({ action: 'duplicate', reason: expect.stringContaining('already kept') });
    expect(outcome).toMatchObject({ action: 'kept', instanceId: 'i-1' });
    expect(world.names().filter((n) => n === 'autoScaling.retainedInstances')).toHaveLength(3);
    expect(world.now).toBe(T0 + 4000);
    expect(world.record()?.entries).toEqual([expect.objectContaining({ instanceId: 'i-1', state: 'kept' })]);
    expect(world.retained.blue.has('i-1')).toBe(true);
    expect(world.notices.map((n) => n.subject)).toEqual(['bluegreen shop: i-1 (blue) kept in quarantine']);
  });

  it('GIVEN the claim was re-decided by another run while this one isolated WHEN this run marks it kept THEN it fails open without touching the other claim', async () => {
    // GIVEN another run takes the instance over (new token) while this one captures evidence
    const { world, event } = condemned();
    const other = claimOf('other-token', T0);
    world.before = (call) => {
      if (call.name === 'evidence.put') world.seedRecord({ schemaVersion: 1, service: SERVICE, entries: [other], replacements: [] });
    };
    // WHEN
    const outcome = await world.controller().onTermination(event);
    // THEN
    expect(outcome).toMatchObject({ action: 'failed-open', error: expect.stringContaining('record write: the claim is no longer in the record') });
    expect(world.record()?.entries).toEqual([other]);
    expect(world.completions()).toEqual([{ token: event.lifecycleActionToken, result: 'CONTINUE' }]);
  });
});

describe('onTermination: caps under a burst', () => {
  const cases = [
    { keepPerColour: 1, keepPerService: 2 },
    { keepPerColour: 2, keepPerService: 3 },
    { keepPerColour: 3, keepPerService: 2 },
    { keepPerColour: 1, keepPerService: 1 },
  ];
  for (const caps of cases) {
    it(`GIVEN 4 blue and 2 green failing at once (keepPerColour ${caps.keepPerColour}, keepPerService ${caps.keepPerService}) WHEN 6 hook events interleave THEN never more kept than the caps, every action ended`, async () => {
      for (let seed = 1; seed <= 25; seed++) {
        // GIVEN
        const world = new FakeWorld(policyWith(caps), seed);
        world.interleave = true;
        const ids = ['b1', 'b2', 'b3', 'b4', 'g1', 'g2'].map((s) => `i-${s}`);
        ids.forEach((id) => world.launch(id, id.startsWith('i-b') ? 'blue' : 'green'));
        const events = ids.map((id) => world.condemn(id, CAUSES.elb));
        // WHEN
        const outcomes: HookOutcome[] = await Promise.all(events.map((e) => world.controller().onTermination(e)));
        // THEN the caps hold at every moment and at the end
        const label = `seed ${seed}`;
        expect(world.peakRetained.blue, label).toBeLessThanOrEqual(caps.keepPerColour);
        expect(world.peakRetained.green, label).toBeLessThanOrEqual(caps.keepPerColour);
        expect(world.peakRetained.total, label).toBeLessThanOrEqual(caps.keepPerService);
        const kept = outcomes.filter((o) => o.action === 'kept');
        expect(kept.length, label).toBeGreaterThan(0);
        expect(kept.length, label).toBeLessThanOrEqual(caps.keepPerService);
        expect(world.record()?.entries.map((e) => e.instanceId).sort(), label).toEqual(kept.map((o) => o.instanceId).sort());
        // AND every action was ended exactly once, kept ones ABANDONed, the others CONTINUEd
        const results = world.completions();
        expect(results, label).toHaveLength(6);
        for (const o of outcomes) {
          const token = events.find((e) => e.instanceId === o.instanceId)!.lifecycleActionToken;
          expect(results.filter((r) => r.token === token).map((r) => r.result), label).toEqual([o.action === 'kept' ? 'ABANDON' : 'CONTINUE']);
        }
        // AND every replacement is counted, unless its run gave up on a busy record and its one extra try failed too
        const uncounted = outcomes.filter((o) => o.warnings?.some((w) => w.includes('could not count the replacement'))).length;
        expect(world.record()?.replacements, label).toHaveLength(6 - uncounted);
      }
    });
  }
});

function claimOf(token: string, claimedMs: number): QuarantineEntry {
  return {
    instanceId: 'i-1',
    colour: 'blue',
    autoScalingGroupName: GROUPS.blue,
    state: 'isolating',
    claimedAt: iso(claimedMs),
    lifecycleActionToken: token,
    expiresAt: iso(claimedMs + 86_400_000),
    reasons: [CAUSES.elb],
  };
}
