import { describe, expect, it } from 'vitest';
import { ReleaseStrategy, UsageError } from '../../lib/release';

describe('ReleaseStrategy', () => {
  it('all at once is one step to 100, with no bake by default', () => {
    const s = ReleaseStrategy.allAtOnce();
    expect(s.kind).toBe('all-at-once');
    expect(s.steps).toEqual([100]);
    expect(s.bakeMs).toBe(0);
    expect(s.describe()).toBe('all at once, bake 0s');
  });

  it('canary is x % then 100 %, each baking', () => {
    const s = ReleaseStrategy.canary(10, 120_000);
    expect(s.steps).toEqual([10, 100]);
    expect(s.bakeMs).toBe(120_000);
    expect(s.totalBakeMs).toBe(240_000);
    expect(s.describe()).toBe('canary 10 % then 100 %, bake 2m per step');
    expect(ReleaseStrategy.canary(5).bakeMs).toBe(ReleaseStrategy.DEFAULT_BAKE_MS);
  });

  it('linear adds n % every interval and always ends at 100', () => {
    expect(ReleaseStrategy.linear(25, 60_000).steps).toEqual([25, 50, 75, 100]);
    expect(ReleaseStrategy.linear(30, 60_000).steps).toEqual([30, 60, 90, 100]);
    expect(ReleaseStrategy.linear(100, 60_000).steps).toEqual([100]);
    expect(ReleaseStrategy.linear(1, 1_000).steps).toHaveLength(100);
    expect(ReleaseStrategy.linear(25, 60_000).describe()).toBe('linear 25 % every 1m (25, 50, 75, 100 %)');
  });

  it('explicit steps default to 10/25/50/75/100 with a 5 minute bake', () => {
    const s = ReleaseStrategy.explicitSteps();
    expect(s.steps).toEqual([10, 25, 50, 75, 100]);
    expect(s.bakeMs).toBe(300_000);
    expect(ReleaseStrategy.explicitSteps([20, 100], 0).steps).toEqual([20, 100]);
  });

  it('keeps its steps immutable', () => {
    const given = [10, 100];
    const s = ReleaseStrategy.explicitSteps(given);
    given[0] = 99;
    expect(s.steps).toEqual([10, 100]);
    expect(Object.isFrozen(s.steps)).toBe(true);
  });

  it.each([
    [() => ReleaseStrategy.canary(0), 'canary percent: must be a whole number from 1 to 99. Got 0.'],
    [() => ReleaseStrategy.canary(100), 'canary percent: must be a whole number from 1 to 99. Got 100.'],
    [() => ReleaseStrategy.canary(12.5), 'canary percent: must be a whole number from 1 to 99. Got 12.5.'],
    [() => ReleaseStrategy.linear(0, 1000), 'linear stepPercent: must be a whole number from 1 to 100. Got 0.'],
    [() => ReleaseStrategy.linear(10, -1), 'linear intervalMs: must be from 0s to 24h. Got -1.'],
    [() => ReleaseStrategy.canary(10, 25 * 3_600_000), 'bakeMs: must be from 0s to 24h. Got "25h".'],
    [() => ReleaseStrategy.allAtOnce(1.5), 'bakeMs: must be from 0s to 24h. Got 1.5.'],
    [() => ReleaseStrategy.explicitSteps([50, 25, 100]), 'steps: must be strictly increasing. Got [50,25,100].'],
    [() => ReleaseStrategy.explicitSteps([10, 50]), 'steps: must end at 100, where the candidate takes all traffic. Got [10,50].'],
    [() => ReleaseStrategy.explicitSteps([]), 'steps: give at least one step; the last must be 100. Got [].'],
  ])('refuses bad input with a UsageError naming the input (%#)', (make, message) => {
    expect(make).toThrow(UsageError);
    expect(make).toThrow(message);
  });
});
