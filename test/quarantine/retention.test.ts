import { describe, expect, it } from 'vitest';
import { parseQuarantineRecord, QUARANTINE_MAX_RETENTION_SECONDS, QuarantineEntry } from '../../lib/contract';
import { expiryFor, extendExpiry, isExpired, isStale, latestExpiry } from '../../lib/release/quarantine';
import { T0 } from './fakes';

const HOUR = 3600;
const iso = (ms: number) => new Date(ms).toISOString();

function kept(sinceMs: number, expiresMs: number): QuarantineEntry {
  return {
    instanceId: 'i-1',
    colour: 'blue',
    autoScalingGroupName: 'shop-blue-asg',
    state: 'kept',
    claimedAt: iso(sinceMs - 5000),
    lifecycleActionToken: 't',
    since: iso(sinceMs),
    expiresAt: iso(expiresMs),
    reasons: ['elb'],
  };
}

describe('retention', () => {
  it('GIVEN an instance kept at T0 for 24 h WHEN its expiry is computed THEN it is 24 h later', () => {
    expect(expiryFor(T0, 24 * HOUR)).toBe('2024-05-15T20:12:00.000Z');
  });

  it('GIVEN a kept entry WHEN checked just before and at its expiry THEN it expires exactly at expiresAt', () => {
    const e = kept(T0, T0 + HOUR * 1000);
    expect(isExpired(e, T0 + HOUR * 1000 - 1)).toBe(false);
    expect(isExpired(e, T0 + HOUR * 1000)).toBe(true);
  });

  it('GIVEN an isolating claim past its expiry WHEN checked THEN it does not expire (claims go stale instead)', () => {
    const claim: QuarantineEntry = { ...kept(T0, T0), state: 'isolating' };
    expect(isExpired(claim, T0 + 1000)).toBe(false);
  });

  it('GIVEN an isolating claim WHEN checked around the hook timeout THEN it is stale from the timeout on; a kept entry never is', () => {
    const claim: QuarantineEntry = { ...kept(T0, T0 + HOUR * 1000), state: 'isolating', claimedAt: iso(T0) };
    expect(isStale(claim, T0 + 299_999, 300)).toBe(false);
    expect(isStale(claim, T0 + 300_000, 300)).toBe(true);
    expect(isStale({ ...claim, state: 'kept' }, T0 + 10 * 300_000, 300)).toBe(false);
  });

  it('GIVEN an entry kept for 24 h WHEN extended by 24 h THEN the expiry moves 24 h from the current expiry', () => {
    const e = kept(T0, T0 + 24 * HOUR * 1000);
    expect(extendExpiry(e, 24 * HOUR)).toEqual({ ok: true, expiresAt: iso(T0 + 48 * HOUR * 1000) });
  });

  it('GIVEN an entry kept at T0 WHEN extended to exactly 7 days after T0 THEN it is allowed', () => {
    const e = kept(T0, T0 + 24 * HOUR * 1000);
    expect(extendExpiry(e, 6 * 24 * HOUR)).toEqual({ ok: true, expiresAt: iso(T0 + QUARANTINE_MAX_RETENTION_SECONDS * 1000) });
  });

  it('GIVEN an entry kept at T0 expiring in 24 h WHEN extended past 7 days THEN refused naming the latest expiry and the largest --for that fits', () => {
    // GIVEN
    const e = kept(T0, T0 + 24 * HOUR * 1000);
    // WHEN
    const ext = extendExpiry(e, 7 * 24 * HOUR);
    // THEN
    expect(ext.ok).toBe(false);
    const message = (ext as { message: string }).message;
    expect(message).toContain(`the latest expiry allowed is ${latestExpiry(e)}`);
    expect(latestExpiry(e)).toBe('2024-05-21T20:12:00.000Z');
    expect(message).toContain('the largest --for that fits is --for 144h.');
    expect(message).toContain('at most 168h after it was kept (2024-05-14T20:12:00.000Z)');
  });

  it('GIVEN an entry already at its latest expiry WHEN extended THEN refused without suggesting a --for', () => {
    const e = kept(T0, T0 + QUARANTINE_MAX_RETENTION_SECONDS * 1000);
    const ext = extendExpiry(e, 60);
    expect(ext).toMatchObject({ ok: false, message: expect.stringContaining('it already expires then') });
    expect((ext as { message: string }).message).not.toContain('--for');
  });

  it('GIVEN a room that is not a whole number of seconds WHEN refused THEN the suggested --for is rounded down so it fits', () => {
    const e = kept(T0, T0 + QUARANTINE_MAX_RETENTION_SECONDS * 1000 - 90_500);
    const ext = extendExpiry(e, HOUR);
    expect((ext as { message: string }).message).toContain('--for 1m30s.');
    expect(extendExpiry(e, 90).ok).toBe(true);
  });

  it.each(['tomorrow', '', '2024-13-45T99:00:00Z'])('GIVEN a kept entry whose expiry %j is not a date WHEN checked THEN it counts as expired', (expiresAt) => {
    expect(isExpired({ ...kept(T0, T0), expiresAt }, T0 - HOUR * 1000)).toBe(true);
  });

  it.each(['just now', '', undefined])('GIVEN an isolating claim whose time %j is not a date WHEN checked THEN it counts as stale', (claimedAt) => {
    const claim = { ...kept(T0, T0 + HOUR * 1000), state: 'isolating', claimedAt } as QuarantineEntry;
    expect(isStale(claim, T0, 300)).toBe(true);
  });

  it('GIVEN a kept entry whose expiry is not a date WHEN extended THEN refused, saying the sweep terminates it', () => {
    const ext = extendExpiry({ ...kept(T0, T0), expiresAt: 'tomorrow' }, HOUR);
    expect(ext).toEqual({ ok: false, message: expect.stringContaining('counts as expired and the sweep terminates it') });
  });

  it('GIVEN a stored record whose expiry and claim time are not dates WHEN parsed THEN it is accepted, so the sweep can clean it', () => {
    // GIVEN
    const record = {
      schemaVersion: 1,
      service: 'shop',
      entries: [
        { ...kept(T0, T0), expiresAt: 'tomorrow' },
        { ...kept(T0, T0), instanceId: 'i-2', state: 'isolating', claimedAt: 'just now' },
      ],
      replacements: [],
    };
    // WHEN
    const parsed = parseQuarantineRecord(JSON.stringify(record), 'shop');
    // THEN
    expect(parsed.entries.map((e) => [e.expiresAt, e.claimedAt])).toEqual([
      ['tomorrow', iso(T0 - 5000)],
      [iso(T0), 'just now'],
    ]);
  });

  it.each([0, -60, Number.NaN])('GIVEN %s seconds WHEN extended THEN refused', (by) => {
    expect(extendExpiry(kept(T0, T0 + HOUR * 1000), by)).toMatchObject({ ok: false, message: expect.stringContaining('positive') });
  });
});
