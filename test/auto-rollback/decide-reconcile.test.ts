import { describe, expect, it } from 'vitest';
import { isReconcileEvent, RECONCILE_SOURCE } from '../../lib/contract';
import { decideReconcile } from '../../lib/release';
import { ReleaseState } from '../../lib/release/ports';
import { alarmEvent } from './events';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const MINUTE = 60_000;

/** A release of green over blue with 1-minute bakes (lease 2 minutes), started 10 minutes before NOW, heartbeat 10 s ago. */
function release(overrides: Partial<ReleaseState> = {}): ReleaseState {
  return {
    releaseId: 'r-1',
    service: 'web',
    status: 'in-progress',
    stable: 'blue',
    candidate: 'green',
    steps: [25, 50, 100],
    bakeMs: MINUTE,
    stepIndex: 0,
    owner: 'ci/42',
    startedAt: NOW - 10 * MINUTE,
    updatedAt: NOW - 10_000,
    ...overrides,
  };
}

describe('decideReconcile', () => {
  describe('settled by the record alone: the tick needs neither the weights nor the engine', () => {
    it('does nothing without a release record', () => {
      expect(decideReconcile({ at: NOW })).toMatchObject({ action: 'none', code: 'no-release' });
    });

    it('leaves a release whose driver heartbeats to its driver', () => {
      // GIVEN a heartbeat 10 s ago (lease 2 minutes)
      const d = decideReconcile({ at: NOW, release: release() });
      // THEN the driver gates its own candidate
      expect(d).toMatchObject({ action: 'none', code: 'release-alive', releaseId: 'r-1' });
      expect(d.message).toMatch(/driven by ci\/42 \(heartbeat 10s ago, lease 2m\)/);
    });

    it('uses the lease of the record: a release with 10-minute bakes is alive 5 quiet minutes on', () => {
      const d = decideReconcile({ at: NOW, release: release({ bakeMs: 10 * MINUTE, updatedAt: NOW - 5 * MINUTE }) });
      expect(d).toMatchObject({ action: 'none', code: 'release-alive' });
    });
  });

  describe('a promoted release', () => {
    const GREEN = { blue: 0, green: 100 };
    const promoted = (overrides: Partial<ReleaseState> = {}) => release({ status: 'succeeded', stepIndex: 2, ...overrides });

    it('asks for the weights, even with no scale-down due: a late weight change after promotion shows only there', () => {
      const d = decideReconcile({ at: NOW, release: promoted({ scaleDownAt: NOW + MINUTE }) });
      expect(d).toEqual({ action: 'read-weights', message: 'Release r-1 is succeeded: reading the weights.', releaseId: 'r-1' });
      expect(decideReconcile({ at: NOW, release: promoted() })).toMatchObject({ action: 'read-weights' });
    });

    it('restores 100 % on the promoted colour when traffic moved off it (a dead driver weight change landed late)', () => {
      // GIVEN the record says green promoted, blue's scale-down not due, but the weights are blue 75 / green 25
      const d = decideReconcile({ at: NOW, release: promoted({ scaleDownAt: NOW + MINUTE }), weights: { blue: 75, green: 25 } });
      // THEN the engine is asked to restore, whatever the scale-down time
      expect(d).toMatchObject({ action: 'reconcile', code: 'promoted-traffic-moved', repair: 'restore', releaseId: 'r-1' });
      expect(d.message).toBe(
        'Release r-1 succeeded, which puts all traffic on green, but weights are blue 75 % / green 25 %: restoring 100 % on green if it is healthy with no gate alarm firing.',
      );
      expect(decideReconcile({ at: NOW, release: promoted(), weights: { blue: 100, green: 0 } })).toMatchObject({ code: 'promoted-traffic-moved' });
      expect(decideReconcile({ at: NOW, release: promoted({ scaleDownAt: NOW }), weights: { blue: 1, green: 99 } })).toMatchObject({ code: 'promoted-traffic-moved' });
    });

    it('waits for a promoted release to reach its scale-down time', () => {
      const d = decideReconcile({ at: NOW, release: promoted({ scaleDownAt: NOW + MINUTE }), weights: GREEN });
      expect(d).toMatchObject({ action: 'none', code: 'scale-down-not-due' });
      expect(d.message).toContain('blue stays ready until 2025-06-01T12:01:00.000Z');
    });

    it('does nothing once the old colour was scaled down', () => {
      const d = decideReconcile({ at: NOW, release: promoted(), weights: GREEN });
      expect(d).toMatchObject({ action: 'none', code: 'no-scale-down-scheduled' });
    });

    it('hands a promoted release past its scale-down time to the engine', () => {
      const d = decideReconcile({ at: NOW, release: promoted({ scaleDownAt: NOW }), weights: GREEN });
      expect(d).toMatchObject({ action: 'reconcile', code: 'scale-down-due', repair: 'scale-down' });
      expect(d.message).toContain("blue's scale-down was due at 2025-06-01T12:00:00.000Z");
    });
  });

  describe('a rolled-back or aborted release', () => {
    it('asks for the weights: a late weight change shows only there', () => {
      const d = decideReconcile({ at: NOW, release: release({ status: 'rolled-back' }) });
      expect(d).toEqual({ action: 'read-weights', message: 'Release r-1 is rolled-back: reading the weights.', releaseId: 'r-1' });
    });

    it('rolls back again when traffic is off the stable colour (a dead pipeline weight change landed late)', () => {
      // GIVEN the record says rolled back to blue, but the weights are blue 75 / green 25
      const d = decideReconcile({ at: NOW, release: release({ status: 'rolled-back', owner: 'auto-rollback' }), weights: { blue: 75, green: 25 } });
      // THEN
      expect(d).toMatchObject({ action: 'reconcile', code: 'traffic-off-stable', repair: 'rollback', releaseId: 'r-1' });
      expect(d.message).toMatch(/rolled-back, which puts all traffic on blue, but weights are blue 75 % \/ green 25 %/);
    });

    it('rolls back an aborted release again too', () => {
      const d = decideReconcile({ at: NOW, release: release({ status: 'aborted' }), weights: { blue: 0, green: 100 } });
      expect(d).toMatchObject({ action: 'reconcile', code: 'traffic-off-stable', repair: 'rollback' });
    });

    it('does nothing when the stable colour holds all traffic', () => {
      const d = decideReconcile({ at: NOW, release: release({ status: 'aborted' }), weights: { blue: 100, green: 0 } });
      expect(d).toMatchObject({ action: 'none', code: 'rolled-back-settled' });
    });
  });

  it("hands an interrupted release (heartbeat older than its lease) to the engine, which checks its candidate's gate", () => {
    // GIVEN the driver silent for 5 minutes, past its 2-minute lease
    const d = decideReconcile({ at: NOW, release: release({ updatedAt: NOW - 5 * MINUTE }) });
    // THEN
    expect(d).toMatchObject({ action: 'reconcile', code: 'release-interrupted', repair: 'rollback', releaseId: 'r-1' });
    expect(d.message).toMatch(/interrupted \(ci\/42: heartbeat 5m ago, lease 2m\): checking green's gate/);
  });
});

describe('isReconcileEvent', () => {
  it('tells the schedule event from an alarm event', () => {
    expect(isReconcileEvent({ source: RECONCILE_SOURCE })).toBe(true);
    expect(isReconcileEvent(alarmEvent('web-green-gate'))).toBe(false);
    expect(isReconcileEvent({})).toBe(false);
  });
});
