/**
 * Parsers for the CLI's flags. Each throws a one-line `UsageError` naming the flag, the problem and the value.
 */
import { usageError } from './errors';

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
/** Units largest first. `formatDuration` writes no days (hours read better up to a week), but they parse. */
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];
const FORMAT_UNITS = ['h', 'm', 's', 'ms'];

/**
 * A duration such as `500ms`, `90s`, `2m`, `1h`, `1h30m` or `2d`, in milliseconds.
 *
 * Whole numbers only, each unit at most once, largest first. A bare number is refused: `5` could mean anything.
 *
 * @throws UsageError when the text is not such a duration
 */
export function parseDuration(text: string, name = 'duration'): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    throw usageError(name, 'needs a unit (ms, s, m, h or d), e.g. 90s or 2m.', text);
  }
  const tokens = [...trimmed.matchAll(/(\d+)(ms|d|h|m|s)/g)];
  if (trimmed === '' || tokens.map((t) => t[0]).join('') !== trimmed) {
    throw usageError(name, 'must be whole numbers with units ms, s, m, h or d, e.g. 500ms, 90s, 2m, 1h30m, 2d.', text);
  }
  let total = 0;
  let lastUnit = -1;
  for (const [, amount, unit] of tokens) {
    const order = UNIT_ORDER.indexOf(unit);
    if (order <= lastUnit) {
      throw usageError(name, 'must give each unit once, largest first, e.g. 1h30m.', text);
    }
    lastUnit = order;
    total += Number(amount) * UNIT_MS[unit];
  }
  if (!Number.isSafeInteger(total)) throw usageError(name, 'is too long.', text);
  return total;
}

/** Milliseconds as the shortest text `parseDuration` reads back: `1h30m`, `90s` is `1m30s`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  const parts: string[] = [];
  for (const unit of FORMAT_UNITS) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}

/**
 * Release steps such as `10,25,50,100` (a trailing `%` is allowed): the candidate's share at each step.
 *
 * @throws UsageError unless whole numbers from 1 to 100, strictly increasing, ending at 100
 */
export function parseSteps(text: string, name = 'steps'): number[] {
  if (text.trim() === '') {
    throw usageError(name, 'give comma-separated percentages ending at 100, e.g. 10,25,50,100.', text);
  }
  const parts = text.split(',').map((p) => p.trim().replace(/%$/, ''));
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) {
    throw usageError(name, `'${bad}' is not a whole number; give comma-separated percentages, e.g. 10,25,50,100.`, text);
  }
  const steps = parts.map(Number);
  checkSteps(steps, name, text);
  return steps;
}

/**
 * Throw unless `steps` are whole numbers from 1 to 100, strictly increasing, ending at 100.
 *
 * @param shown what the message quotes as the value (the raw flag text when parsing)
 */
export function checkSteps(steps: readonly number[], name = 'steps', shown: unknown = steps): void {
  if (steps.length === 0) {
    throw usageError(name, 'give at least one step; the last must be 100.', shown);
  }
  if (steps.some((s) => !Number.isInteger(s) || s < 1 || s > 100)) {
    throw usageError(name, 'each step must be a whole number from 1 to 100.', shown);
  }
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) {
    throw usageError(name, 'must be strictly increasing.', shown);
  }
  if (steps[steps.length - 1] !== 100) {
    throw usageError(name, 'must end at 100, where the candidate takes all traffic.', shown);
  }
}

/**
 * A whole percentage such as `10` or `10%`, from `min` to `max`.
 *
 * @throws UsageError otherwise
 */
export function parsePercent(text: string, name = 'percent', min = 1, max = 100): number {
  const trimmed = text.trim().replace(/%$/, '');
  if (!/^\d+$/.test(trimmed)) {
    throw usageError(name, `must be a whole percentage from ${min} to ${max}.`, text);
  }
  const value = Number(trimmed);
  checkWhole(value, name, min, max, text);
  return value;
}

/** Throw unless `value` is a whole number from `min` to `max`. */
export function checkWhole(value: number, name: string, min: number, max: number, shown: unknown = value): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw usageError(name, `must be a whole number from ${min} to ${max}.`, shown);
  }
}

/** Throw unless `ms` is a whole number of milliseconds from `minMs` to `maxMs`; the message shows durations. */
export function checkDurationMs(ms: number, name: string, minMs: number, maxMs: number): void {
  if (!Number.isInteger(ms) || ms < minMs || ms > maxMs) {
    const shown = Number.isInteger(ms) && ms >= 0 ? formatDuration(ms) : ms;
    throw usageError(name, `must be from ${formatDuration(minMs)} to ${formatDuration(maxMs)}.`, shown);
  }
}
