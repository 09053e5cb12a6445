import { describe, expect, it } from 'vitest';
import { ReleaseStrategy } from '../../lib/release';
import { engineFor, FakeWorld } from './fakes';

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
});
