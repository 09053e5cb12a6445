import { describe, expect, it } from 'vitest';
import { ReleaseStrategy, UsageError } from '../../lib/release';
import { engineFor, fakeHook, FakeWorld } from './fakes';

const strategy = ReleaseStrategy.canary(10, 60_000);

describe('release exclusion (a DR operation that started at the same moment)', () => {
  it('is asked after the release claims its record; a refusal withdraws the release with nothing changed', async () => {
    // GIVEN an exclusion that sees a failover begin (it is asked once the release record is written)
    const world = new FakeWorld();
    const proc = world.process('cli');
    let recordWhenAsked: string | undefined;
    Object.assign(proc.ports, {
      exclusion: {
        refusal: async () => {
          recordWhenAsked = world.stored?.state.status;
          return "the DR record of shop is failing-over; releases wait until it is normal: 'bluegreen dr status shop'";
        },
      },
    });
    // WHEN
    const outcome = await engineFor(proc).release({ strategy });
    // THEN refused, the record closed as aborted with the reason, and no traffic, route or capacity change
    expect(recordWhenAsked).toBe('in-progress');
    expect(outcome.status).toBe('refused');
    expect(outcome.message).toBe("Release refused, nothing changed: the DR record of shop is failing-over; releases wait until it is normal: 'bluegreen dr status shop'.");
    expect(world.stored?.state).toMatchObject({ status: 'aborted', reason: expect.stringMatching(/^withdrawn before any change: the DR record/) });
    expect(world.calls.filter((c) => c.mutating && c.method !== 'state.write')).toEqual([]);
    expect(world.weights).toEqual({ blue: 100, green: 0 });
  });

  it('lets the release go on when it has no objection', async () => {
    // GIVEN
    const world = new FakeWorld();
    const proc = world.process('cli');
    Object.assign(proc.ports, { exclusion: { refusal: async () => undefined } });
    // WHEN
    const outcome = await engineFor(proc).release({ strategy });
    // THEN
    expect(outcome.status).toBe('succeeded');
  });

  // A service with a standby Region (its engines are given an exclusion): each Region's release must end before the
  // staggered release goes on, so it never waits for approval.
  const dr = { refusal: async () => undefined };

  it('refuses pauseBefore up front for a service with a standby Region, nothing read or written', async () => {
    const world = new FakeWorld();
    const proc = world.process('cli');
    Object.assign(proc.ports, { exclusion: dr });
    const message = 'pauses are not supported with a standby Region yet; release without --pause-before';
    await expect(engineFor(proc).release({ strategy, pauseBefore: [1] })).rejects.toThrow(new UsageError(message));
    await expect(engineFor(proc).plan({ strategy, pauseBefore: [1] })).rejects.toThrow(message);
    expect(world.calls).toEqual([]);
  });

  it('counts an inconclusive step or pre-promotion hook as failed for a service with a standby Region: rolled back, not paused', async () => {
    for (const point of ['step', 'pre-promotion'] as const) {
      const world = new FakeWorld();
      world.releaseHooks = [fakeHook('analysis', point)];
      world.hookScript.analysis = { verdict: 'inconclusive', detail: 'too little traffic' };
      const proc = world.process('cli');
      Object.assign(proc.ports, { exclusion: dr });
      const outcome = await engineFor(proc).release({ strategy, releaseId: 'r1' });
      expect(outcome.status, point).toBe('rolled-back');
      expect(outcome.message, point).toContain(
        'hook analysis failed: inconclusive, which counts as failed for a service with a standby Region (its release cannot wait for approval between the Regions): too little traffic',
      );
      expect(world.stored?.state.awaitingApproval, point).toBeUndefined();
      expect(world.weights, point).toEqual({ blue: 100, green: 0 });
    }
  });

  it('plans an inconclusive hook of a service with a standby Region as a failure', async () => {
    const world = new FakeWorld();
    world.releaseHooks = [fakeHook('analysis', 'step')];
    const proc = world.process('cli');
    Object.assign(proc.ports, { exclusion: dr });
    const plan = await engineFor(proc).plan({ strategy });
    expect(plan.actions.filter((a) => a.startsWith('run the step hooks'))[0]).toBe(
      'run the step hooks analysis (lambda, 30s timeout) (step 1): failed rolls back; inconclusive: counts as failed (a service with a standby Region does not wait for approval)',
    );
  });
});
