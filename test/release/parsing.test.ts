import { describe, expect, it } from 'vitest';
import { exitCodeForError, formatDuration, parseDuration, parsePercent, parseSteps, UsageError } from '../../lib/release';

describe('parseSteps', () => {
  it('reads comma-separated percentages, with spaces and % signs', () => {
    // WHEN / THEN
    expect(parseSteps('10,25,50,100')).toEqual([10, 25, 50, 100]);
    expect(parseSteps(' 5%, 50 ,100% ')).toEqual([5, 50, 100]);
    expect(parseSteps('100')).toEqual([100]);
  });

  it.each([
    ['', "steps: give comma-separated percentages ending at 100, e.g. 10,25,50,100. Got \"\"."],
    ['10,x,100', "steps: 'x' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100. Got \"10,x,100\"."],
    ['10,1.5,100', "steps: '1.5' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100. Got \"10,1.5,100\"."],
    ['10,,100', "steps: '' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100. Got \"10,,100\"."],
    ['-5,100', "steps: '-5' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100. Got \"-5,100\"."],
    ['0,50,100', 'steps: each step must be a whole number from 1 to 100. Got "0,50,100".'],
    ['10,150', 'steps: each step must be a whole number from 1 to 100. Got "10,150".'],
    ['10,50,25,100', 'steps: must be strictly increasing. Got "10,50,25,100".'],
    ['10,50,50,100', 'steps: must be strictly increasing. Got "10,50,50,100".'],
    ['10,50', 'steps: must end at 100, where the candidate takes all traffic. Got "10,50".'],
  ])('refuses %j with a one-line UsageError', (text, message) => {
    // WHEN / THEN
    expect(() => parseSteps(text)).toThrow(UsageError);
    expect(() => parseSteps(text)).toThrow(message);
    expect(message).not.toContain('\n');
  });

  it('names the flag given', () => {
    expect(() => parseSteps('10,50', '--steps')).toThrow(/^--steps: must end at 100/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['2s500ms', 2_500],
    ['2d', 172_800_000],
    ['1d12h', 129_600_000],
    [' 0s ', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['5', 'duration: needs a unit (ms, s, m, h or d), e.g. 90s or 2m. Got "5".'],
    ['', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "".'],
    ['1.5m', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "1.5m".'],
    ['-1s', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "-1s".'],
    ['2w', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "2w".'],
    ['2 m', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "2 m".'],
    ['2M', 'duration: must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d. Got "2M".'],
    ['30s1m', 'duration: must give each unit once, largest first, e.g. 1h30m. Got "30s1m".'],
    ['1m1m', 'duration: must give each unit once, largest first, e.g. 1h30m. Got "1m1m".'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
    expect(() => parseDuration(text)).toThrow(message);
  });

  it('names the flag given', () => {
    expect(() => parseDuration('10', '--bake')).toThrow(/^--bake: needs a unit/);
  });

  it('formats what it reads back', () => {
    for (const text of ['500ms', '90s', '2m', '1h', '1h30m', '1m30s', '0s']) {
      expect(parseDuration(formatDuration(parseDuration(text)))).toBe(parseDuration(text));
    }
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
  });
});

describe('parsePercent', () => {
  it('reads whole percentages', () => {
    expect(parsePercent('10')).toBe(10);
    expect(parsePercent('25%')).toBe(25);
  });

  it.each([
    ['abc', '--canary: must be a whole percentage from 1 to 99. Got "abc".'],
    ['0', '--canary: must be a whole number from 1 to 99. Got "0".'],
    ['100', '--canary: must be a whole number from 1 to 99. Got "100".'],
  ])('refuses %j', (text, message) => {
    expect(() => parsePercent(text, '--canary', 1, 99)).toThrow(message);
  });
});

describe('exitCodeForError', () => {
  it('maps UsageError to 2 and anything else to 1', () => {
    expect(exitCodeForError(new UsageError('x'))).toBe(2);
    expect(exitCodeForError(new Error('x'))).toBe(1);
  });
});
