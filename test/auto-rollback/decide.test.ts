import { describe, expect, it } from 'vitest';
import { ServiceDescriptor } from '../../lib/contract';
import {
  AutoRollbackObservation,
  classifyAlarmEvent,
  decideAutoRollback,
  MAX_REASON_CHARS,
  rollbackReason,
} from '../../lib/lambda/auto-rollback/auto-rollback-decision';
import { ReleaseState } from '../../lib/release/ports';
import { alarmEvent } from './events';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ON = { rollbackAfterPromotion: true };

const colour = (name: string) => ({
  targetGroupArn: `arn:tg/${name}`,
  targetGroupFullName: `targetgroup/${name}/1`,
  autoScalingGroupName: `web-${name}`,
  launchTemplateId: `lt-${name}`,
  image: 'ami-1',
  imageId: 'ami-1',
  mode: 'active',
  alarms: { gate: `web-${name}-gate`, errorRate: `web-${name}-error-rate` },
});

const descriptor: ServiceDescriptor = {
  schemaVersion: 1,
  service: 'web',
  region: 'eu-west-1',
  stackName: 'Web',
  loadBalancer: { arn: 'arn:lb', fullName: 'app/web/1', dnsName: 'web.example' },
  production: { listenerArn: 'arn:l/prod', ruleArn: 'arn:r/prod', port: 80, protocol: 'HTTP' },
  test: { listenerArn: 'arn:l/test', ruleArn: 'arn:r/test', port: 8080, protocol: 'HTTP' },
  topicArn: 'arn:topic',
  routingIdentity: 'internet-facing;vpc="vpc-1";targets=HTTP:8080',
  releaseStateTable: 'state',
  capacity: { min: 2, max: 3, desired: 2 },
  colours: { blue: colour('blue'), green: colour('green') },
};

/** A release of green over blue, started 10 minutes before NOW. */
function release(overrides: Partial<ReleaseState> = {}): ReleaseState {
  return {
    releaseId: 'r-1',
    service: 'web',
    status: 'in-progress',
    stable: 'blue',
    candidate: 'green',
    steps: [10, 50, 100],
    bakeMs: 60_000,
    stepIndex: 1,
    owner: 'ci/42',
    startedAt: NOW - 10 * 60_000,
    updatedAt: NOW - 5 * 60_000,
    ...overrides,
  };
}

function observed(overrides: Partial<AutoRollbackObservation> = {}): AutoRollbackObservation {
  return { at: NOW, weights: { blue: 50, green: 50 }, release: release(), alarmStateNow: 'ALARM', ...overrides };
}

const at = (ms: number) => new Date(ms).toISOString();

describe('decideAutoRollback', () => {
  it("rolls back a release in progress when its candidate's gate fires, recording the alarm and its reason", () => {
    // GIVEN green at 50 % in a release whose pipeline stopped heartbeating 5 minutes ago
    const event = alarmEvent('web-green-gate', { time: at(NOW - 1000), reason: 'web-green-error-rate in ALARM' });
    // WHEN
    const d = decideAutoRollback(event, observed(), descriptor, ON);
    // THEN
    expect(d).toMatchObject({
      action: 'rollback',
      code: 'candidate-gate',
      colour: 'green',
      alarmName: 'web-green-gate',
      releaseId: 'r-1',
      reason: 'gate alarm web-green-gate fired: web-green-error-rate in ALARM',
    });
    expect(d.message).toMatch(/candidate of release r-1 in progress: rolling back to blue/);
  });

  it('rolls back before the first step too: the candidate may take no traffic yet, but the release must stop', () => {
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 100, green: 0 }, release: release({ stepIndex: -1 }) }), descriptor, ON);
    expect(d).toMatchObject({ action: 'rollback', code: 'candidate-gate' });
  });

  it('does nothing when the gate of the stable colour fires during a release', () => {
    // GIVEN blue (stable) fires while green is being released
    const d = decideAutoRollback(alarmEvent('web-blue-gate'), observed(), descriptor, ON);
    // THEN a rollback would send all traffic to the firing colour: leave it
    expect(d).toMatchObject({ action: 'none', code: 'stable-colour', colour: 'blue' });
    expect(d.message).toMatch(/the stable colour of release r-1, where a rollback would send all traffic/);
  });

  it('does nothing when the idle colour fires after a promotion', () => {
    // GIVEN green promoted; blue idle but warm
    const promoted = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW + 10 * 60_000 });
    // WHEN blue's gate fires
    const d = decideAutoRollback(alarmEvent('web-blue-gate'), observed({ weights: { blue: 0, green: 100 }, release: promoted }), descriptor, ON);
    // THEN
    expect(d).toMatchObject({ action: 'none', code: 'idle-colour', colour: 'blue' });
    expect(d.message).toMatch(/weight 0 of 100/);
  });

  it('rolls back a promoted colour while the old colour is still warm', () => {
    // GIVEN green promoted 5 minutes ago, blue scheduled for standby in 10 minutes
    const promoted = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW + 10 * 60_000 });
    // WHEN green's gate fires
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: promoted }), descriptor, ON);
    // THEN
    expect(d).toMatchObject({ action: 'rollback', code: 'promoted-gate', colour: 'green', releaseId: 'r-1' });
    expect(d.message).toContain('blue is still warm (scale-down is scheduled at 2025-06-01T12:10:00.000Z)');
  });

  it('leaves a promoted colour alone when rollback after promotion is off', () => {
    const promoted = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW + 10 * 60_000 });
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: promoted }), descriptor, {
      rollbackAfterPromotion: false,
    });
    expect(d).toMatchObject({ action: 'none', code: 'after-promotion-disabled' });
  });

  it('does nothing once the old colour was scaled down', () => {
    // GIVEN green live; blue in standby (the scale-down cleared scaleDownAt)
    const scaledDown = release({ status: 'succeeded', stepIndex: 2 });
    // WHEN green's gate fires
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: scaledDown }), descriptor, ON);
    // THEN nothing warm to go back to
    expect(d).toMatchObject({ action: 'none', code: 'old-colour-not-warm' });
    expect(d.message).toMatch(/blue has been scaled down: no warm colour to roll back to/);
  });

  it('still rolls back a promoted colour after scaleDownAt while the old colour is warm (the scale-down has not run)', () => {
    // GIVEN green promoted; blue's scale-down was due a minute ago, but blue still runs 2 healthy instances
    const due = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW - 60_000 });
    const warm = { desired: 2, healthy: 2, total: 2 };
    // WHEN green's gate fires
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: due, previousColour: warm }), descriptor, ON);
    // THEN warmth decides, not the clock
    expect(d).toMatchObject({ action: 'rollback', code: 'promoted-gate', colour: 'green' });
    expect(d.message).toContain('blue is still warm (desired 2, 2/2 healthy targets; scale-down was due at 2025-06-01T11:59:00.000Z)');
  });

  it("leaves judging an unread old colour to the engine's rollback, which checks its health", () => {
    const due = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW - 1 });
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: due, previousColour: undefined }), descriptor, ON);
    expect(d).toMatchObject({ action: 'rollback', code: 'promoted-gate' });
  });

  it('does nothing when the old colour is no longer warm, whatever scaleDownAt says', () => {
    // GIVEN green promoted; blue scheduled for standby in 10 minutes, but on its way to standby / with no healthy target
    const scheduled = release({ status: 'succeeded', stepIndex: 2, scaleDownAt: NOW + 10 * 60_000 });
    const live = { weights: { blue: 0, green: 100 }, release: scheduled };
    // WHEN green's gate fires
    const draining = decideAutoRollback(alarmEvent('web-green-gate'), observed({ ...live, previousColour: { desired: 0, healthy: 2, total: 2 } }), descriptor, ON);
    const unhealthy = decideAutoRollback(alarmEvent('web-green-gate'), observed({ ...live, previousColour: { desired: 2, healthy: 0, total: 2 } }), descriptor, ON);
    // THEN a rollback would send traffic to a colour that cannot take it
    expect(draining).toMatchObject({ action: 'none', code: 'old-colour-not-warm' });
    expect(draining.message).toMatch(/blue is not warm \(desired 0, 2\/2 healthy targets; scale-down is scheduled at 2025-06-01T12:10:00.000Z\)/);
    expect(unhealthy).toMatchObject({ action: 'none', code: 'old-colour-not-warm' });
    expect(unhealthy.message).toMatch(/desired 2, 0\/2 healthy targets/);
  });

  it('does nothing for an alarm that is not a gate of the service, and says which gates it knows', () => {
    const d = decideAutoRollback(alarmEvent('web-green-error-rate'), observed(), descriptor, ON);
    expect(d).toMatchObject({ action: 'none', code: 'unknown-alarm', alarmName: 'web-green-error-rate' });
    expect(d.colour).toBeUndefined();
    expect(d.message).toContain('the descriptor names web-blue-gate and web-green-gate');
  });

  it('ignores a change to OK (and anything that is not a CloudWatch alarm event)', () => {
    // GIVEN ALARM -> OK on the candidate, and an event from another source
    const ok = alarmEvent('web-green-gate', { state: 'OK', previous: 'ALARM' });
    const other = { ...alarmEvent('web-green-gate'), source: 'aws.ec2' };
    // THEN
    expect(decideAutoRollback(ok, observed(), descriptor, ON)).toMatchObject({ action: 'none', code: 'not-in-alarm' });
    expect(decideAutoRollback(other, observed(), descriptor, ON)).toMatchObject({ action: 'none', code: 'not-alarm-event' });
    expect(decideAutoRollback({}, observed(), descriptor, ON)).toMatchObject({ action: 'none', code: 'not-alarm-event' });
  });

  it('does nothing when the alarm has recovered by the time the event is handled', () => {
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ alarmStateNow: 'OK' }), descriptor, ON);
    expect(d).toMatchObject({ action: 'none', code: 'alarm-recovered' });
  });

  it('trusts the event when the alarm state could not be read again', () => {
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ alarmStateNow: undefined }), descriptor, ON);
    expect(d).toMatchObject({ action: 'rollback', code: 'candidate-gate' });
  });

  it('does nothing for an event older than the release when the alarm could not be read again (a retried event from before it)', () => {
    const d = decideAutoRollback(alarmEvent('web-green-gate', { time: at(NOW - 20 * 60_000) }), observed({ alarmStateNow: undefined }), descriptor, ON);
    expect(d).toMatchObject({ action: 'none', code: 'event-before-release' });
  });

  it('rolls back on an event older than the release when the alarm is still in ALARM now (it flipped before the claim)', () => {
    // GIVEN green's gate went to ALARM after pre-flight but before the release wrote its record, 1 s earlier
    const event = alarmEvent('web-green-gate', { time: at(NOW - 10 * 60_000 - 1000) });
    // WHEN the event is handled and the alarm read again is in ALARM
    const d = decideAutoRollback(event, observed({ alarmStateNow: 'ALARM' }), descriptor, ON);
    // THEN the release's candidate is failing now: roll back
    expect(d).toMatchObject({ action: 'rollback', code: 'candidate-gate', releaseId: 'r-1' });
  });

  it('does nothing without a release record', () => {
    const d = decideAutoRollback(alarmEvent('web-blue-gate'), observed({ release: undefined, weights: { blue: 100, green: 0 } }), descriptor, ON);
    expect(d).toMatchObject({ action: 'none', code: 'no-release', colour: 'blue' });
  });

  it('does nothing for a rolled-back release whose candidate takes no traffic (a second event, or a retry)', () => {
    const rolledBack = release({ status: 'rolled-back', owner: 'auto-rollback' });
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 100, green: 0 }, release: rolledBack }), descriptor, ON);
    expect(d).toMatchObject({ action: 'none', code: 'already-rolled-back' });
  });

  it('rolls back again when a rolled-back candidate still takes traffic (a rollback interrupted after its record)', () => {
    const rolledBack = release({ status: 'rolled-back' });
    const d = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 0, green: 100 }, release: rolledBack }), descriptor, ON);
    expect(d).toMatchObject({ action: 'rollback', code: 'unfinished-rollback' });
  });

  it('does nothing when the live colour fires with no warm colour behind it', () => {
    // GIVEN an aborted release of green; blue live
    const aborted = release({ status: 'aborted' });
    // WHEN blue (live) / green (idle) fire
    const live = decideAutoRollback(alarmEvent('web-blue-gate'), observed({ weights: { blue: 100, green: 0 }, release: aborted }), descriptor, ON);
    const idle = decideAutoRollback(alarmEvent('web-green-gate'), observed({ weights: { blue: 100, green: 0 }, release: aborted }), descriptor, ON);
    // THEN
    expect(live).toMatchObject({ action: 'none', code: 'live-colour' });
    expect(live.message).toMatch(/Needs a human/);
    expect(idle).toMatchObject({ action: 'none', code: 'already-rolled-back' });
  });
});

describe('classifyAlarmEvent', () => {
  it("maps a gate alarm to its colour from the descriptor's names", () => {
    expect(classifyAlarmEvent(alarmEvent('web-blue-gate'), descriptor)).toEqual({ alarmName: 'web-blue-gate', colour: 'blue' });
    expect(classifyAlarmEvent(alarmEvent('web-green-gate'), descriptor)).toEqual({ alarmName: 'web-green-gate', colour: 'green' });
  });

  it('knows no gate when the descriptor has none registered', () => {
    const bare = { ...descriptor, colours: { blue: { ...colour('blue'), alarms: {} }, green: { ...colour('green'), alarms: {} } } };
    expect(classifyAlarmEvent(alarmEvent('web-blue-gate'), bare)).toMatchObject({ code: 'unknown-alarm', message: expect.stringContaining('no gate alarms') });
  });
});

describe('rollbackReason', () => {
  it('keeps the record short when CloudWatch explains at length', () => {
    const long = rollbackReason('web-green-gate', alarmEvent('web-green-gate', { reason: 'x'.repeat(2000) }));
    expect(long.length).toBe(MAX_REASON_CHARS);
    expect(long.endsWith('…')).toBe(true);
    expect(rollbackReason('web-green-gate', { detail: { alarmName: 'web-green-gate' } })).toBe('gate alarm web-green-gate fired');
  });
});
