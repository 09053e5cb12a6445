import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { FeatureFlagRollout } from '../../constructs';

describe('FeatureFlagRollout', () => {
  it('defaults to linear, 20 % a step, over 10 minutes, 5 minutes bake', () => {
    // GIVEN / WHEN
    const rollout = FeatureFlagRollout.DEFAULT;
    // THEN
    expect([rollout.growthType, rollout.stepPercent, rollout.duration.toMinutes(), rollout.bake.toMinutes()]).toEqual(['linear', 20, 10, 5]);
  });

  it('takes exponential growth and custom times', () => {
    // GIVEN / WHEN
    const rollout = FeatureFlagRollout.exponential({ stepPercent: 10, duration: Duration.minutes(30), bake: Duration.minutes(0) });
    // THEN
    expect([rollout.growthType, rollout.stepPercent, rollout.duration.toMinutes(), rollout.bake.toMinutes()]).toEqual(['exponential', 10, 30, 0]);
  });

  it.each<[string, () => FeatureFlagRollout, RegExp]>([
    ['a step of 0 %', () => FeatureFlagRollout.linear({ stepPercent: 0 }), /stepPercent: must be a percentage from 1 to 100 .* Got 0\./],
    ['a step above 100 %', () => FeatureFlagRollout.exponential({ stepPercent: 101 }), /stepPercent: .* Got 101\./],
    ['a duration above a day', () => FeatureFlagRollout.linear({ duration: Duration.minutes(1441) }), /duration: must be whole minutes from 0 to 1440 .* Got 86460 seconds\./],
    ['a duration in seconds', () => FeatureFlagRollout.linear({ duration: Duration.seconds(90) }), /duration: must be whole minutes .*Duration\.minutes\(10\)/],
    ['a bake above a day', () => FeatureFlagRollout.linear({ bake: Duration.hours(25) }), /bake: must be whole minutes from 0 to 1440/],
  ])('refuses %s, naming the prop, the value and the fix', (_what, make, message) => {
    // GIVEN / WHEN / THEN
    expect(make).toThrow(message);
  });

  it('skips validation of tokens', () => {
    // GIVEN
    const minutes = Token.asNumber(Lazy.number({ produce: () => 5000 }));
    // WHEN / THEN
    expect(() => FeatureFlagRollout.linear({ duration: Duration.minutes(minutes) })).not.toThrow();
  });
});
