import { checkColour, checkDurationMs, ColourName, parseDuration, UsageError, usageError } from '../release';
import type { FlagSpec, FlagValues } from './command';

/** Flags more than one command takes, so they read the same everywhere. */
export const POLL_FLAG: FlagSpec = {
  type: 'string',
  example: '10s',
  help: 'how often a bake polls target health and gate alarms, 100ms to 20s (default 10s)',
};
export const SCALE_DOWN_DELAY_FLAG: FlagSpec = {
  type: 'string',
  example: '15m',
  help: 'how long the old colour stays ready for an instant rollback after promotion, up to 48h (default 15m)',
};
export const REASON_FLAG: FlagSpec = { type: 'string', example: '"5xx on checkout"', help: 'why, recorded in the release record' };

/** `--colour`, with `--color` for those who spell it as aws-cdk-lib does. */
export function colourFlag(help: string): FlagSpec {
  return { type: 'string', alias: 'color', example: 'green', help };
}

/** Bounds of `--poll`: fast enough for tests, slow enough that heartbeats stay inside the lease. */
const POLL_MS = { min: 100, max: 20_000 };

/** Longest scale-down delay the engine accepts. */
const MAX_SCALE_DOWN_DELAY_MS = 48 * 3_600_000;

/**
 * A string flag's value.
 *
 * @throws UsageError when `nonEmpty` and the flag was given as ''
 */
export function stringFlag(values: FlagValues, flag: string, options: { readonly nonEmpty?: boolean } = {}): string | undefined {
  const value = values[flag];
  if (typeof value !== 'string') return undefined;
  if (options.nonEmpty && value === '') throw usageError(`--${flag}`, 'must not be empty.', '');
  return value;
}

/**
 * A duration flag in milliseconds, within bounds.
 *
 * @throws UsageError naming the flag
 */
export function durationFlag(values: FlagValues, flag: string, minMs: number, maxMs: number): number | undefined {
  const text = stringFlag(values, flag);
  if (text === undefined) return undefined;
  if (/^-\d/.test(text.trim())) throw negativeValue(`--${flag}`, text.trim());
  const ms = parseDuration(text, `--${flag}`);
  checkDurationMs(ms, `--${flag}`, minMs, maxMs);
  return ms;
}

/** A value below zero, for a flag that takes none: durations and percentages count up from zero. */
export function negativeValue(flag: string, value: string): UsageError {
  const what = /^-\d+(ms|h|m|s)/.test(value) ? 'a negative duration' : 'a negative number';
  return usageError(flag, `is ${what}; give a positive value, e.g. ${flag} ${value.slice(1)}.`, value);
}

/** `--poll`, in milliseconds. */
export function pollFlag(values: FlagValues): number | undefined {
  return durationFlag(values, 'poll', POLL_MS.min, POLL_MS.max);
}

/** `--scale-down-delay`, in milliseconds. */
export function scaleDownDelayFlag(values: FlagValues): number | undefined {
  return durationFlag(values, 'scale-down-delay', 0, MAX_SCALE_DOWN_DELAY_MS);
}

/**
 * `--colour` (or `--color`), checked.
 *
 * @throws UsageError naming the flag as it was typed
 */
export function colourFlagValue(values: FlagValues): ColourName | undefined {
  const colour = stringFlag(values, 'colour');
  checkColour(colour, values.color !== undefined ? '--color' : '--colour');
  return colour as ColourName | undefined;
}
