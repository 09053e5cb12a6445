import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { Healing } from '../../constructs';

describe('Healing', () => {
  it('replaces by default: no quarantine settings', () => {
    // GIVEN / WHEN
    const healing = Healing.replace();
    // THEN
    expect(healing.name).toBe('replace');
    expect(healing.quarantines).toBe(false);
    expect(healing.quarantineSettings).toBeUndefined();
  });

  it('quarantines with the documented defaults', () => {
    // GIVEN / WHEN
    const s = Healing.quarantine().quarantineSettings!;
    // THEN
    expect(Healing.quarantine().name).toBe('quarantine');
    expect(Healing.quarantine().quarantines).toBe(true);
    expect({ ...s, retention: s.retention.toSeconds(), flappingWindow: s.flappingWindow.toSeconds() }).toEqual({
      keepPerColour: 1,
      keepPerService: 2,
      retention: 24 * 3600,
      snapshots: false,
      flappingReplacements: 3,
      flappingWindow: 15 * 60,
    });
  });

  it('keeps the options given', () => {
    // GIVEN / WHEN
    const s = Healing.quarantine({ keepPerColour: 3, keepPerService: 5, retention: Duration.days(7), snapshots: true, flappingReplacements: 5, flappingWindow: Duration.hours(1) }).quarantineSettings!;
    // THEN
    expect(s).toMatchObject({ keepPerColour: 3, keepPerService: 5, snapshots: true, flappingReplacements: 5 });
    expect(s.retention.toSeconds()).toBe(7 * 24 * 3600);
    expect(s.flappingWindow.toSeconds()).toBe(3600);
  });

  it.each([
    [0, 0],
    [1, 2],
    [2, 2],
    [3, 3],
    [10, 10],
  ])('defaults keepPerService to 2 within [keepPerColour, 2 x keepPerColour]: keepPerColour %i gives %i', (keepPerColour, keepPerService) => {
    // GIVEN / WHEN / THEN
    expect(Healing.quarantine({ keepPerColour }).quarantineSettings!.keepPerService).toBe(keepPerService);
  });

  describe('validation', () => {
    it.each([
      [{ keepPerColour: -1 }, /^keepPerColour: must be a whole number from 0 to 10 .* Got -1\.$/],
      [{ keepPerColour: 11 }, /^keepPerColour: must be a whole number from 0 to 10.* Got 11\.$/],
      [{ keepPerColour: 1.5 }, /^keepPerColour: .* Got 1\.5\.$/],
      [{ keepPerService: 21, keepPerColour: 10 }, /^keepPerService: must be a whole number from 0 to 20\. Got 21\.$/],
      [{ keepPerService: -1, keepPerColour: 0 }, /^keepPerService: must be a whole number from 0 to 20\. Got -1\.$/],
      [{ keepPerColour: 3, keepPerService: 2 }, /^keepPerService: must be at least keepPerColour \(3\).*raise keepPerService or lower keepPerColour\. Got 2\.$/],
      [{ keepPerColour: 1, keepPerService: 3 }, /^keepPerService: can never be reached: two colours keep at most 2 x keepPerColour = 2; lower keepPerService or raise keepPerColour\. Got 3\.$/],
      [{ retention: Duration.minutes(59) }, /^retention: must be from 1 hour to 7 days, e\.g\. Duration\.hours\(24\)\. Got 3540 seconds\.$/],
      [{ retention: Duration.days(8) }, /^retention: must be from 1 hour to 7 days.* Got 691200 seconds\.$/],
      [{ flappingReplacements: 1 }, /^flappingReplacements: must be a whole number from 2 to 100 .* Got 1\.$/],
      [{ flappingReplacements: 101 }, /^flappingReplacements: .* Got 101\.$/],
      [{ flappingWindow: Duration.minutes(4) }, /^flappingWindow: must be a whole number of minutes from 5 to 60, e\.g\. Duration\.minutes\(15\)\. Got 240 seconds\.$/],
      [{ flappingWindow: Duration.minutes(61) }, /^flappingWindow: .* Got 3660 seconds\.$/],
      [{ flappingWindow: Duration.seconds(330) }, /^flappingWindow: must be a whole number of minutes.* Got 330 seconds\.$/],
    ])('rejects %o naming the prop, the value and the fix', (options, message) => {
      // GIVEN / WHEN / THEN
      expect(() => Healing.quarantine(options)).toThrow(message);
    });

    it('accepts the limits', () => {
      // GIVEN / WHEN / THEN
      expect(() => Healing.quarantine({ keepPerColour: 0, keepPerService: 0, retention: Duration.hours(1), flappingReplacements: 2, flappingWindow: Duration.minutes(5) })).not.toThrow();
      expect(() => Healing.quarantine({ keepPerColour: 10, keepPerService: 20, retention: Duration.days(7), flappingReplacements: 100, flappingWindow: Duration.minutes(60) })).not.toThrow();
    });

    it('skips validation for token values', () => {
      // GIVEN: every option an unresolved token, each out of range once resolved
      const n = (v: number) => Token.asNumber(Lazy.number({ produce: () => v }));
      // WHEN / THEN
      expect(() =>
        Healing.quarantine({
          keepPerColour: n(50),
          keepPerService: n(-3),
          retention: Duration.seconds(n(1)),
          flappingReplacements: n(0),
          flappingWindow: Duration.seconds(n(7)),
        }),
      ).not.toThrow();
      expect(() => Healing.quarantine({ keepPerColour: 3, keepPerService: n(1) })).not.toThrow();
    });
  });
});
