import { formatDuration } from '../release';

/**
 * A duration for people: whole seconds from one second up (`14m33s`, not `14m32s929ms`), milliseconds below
 * (`500ms`). The result still reads back with the CLI's duration flags.
 */
export function humanDuration(ms: number): string {
  if (ms < 1_000) return formatDuration(Math.max(0, Math.round(ms)));
  return formatDuration(Math.round(ms / 1_000) * 1_000);
}

/**
 * `text` with every duration that has milliseconds on top of larger units rounded to whole seconds:
 * `heartbeat 24s58ms ago` reads `heartbeat 24s ago`. Durations under a second (`500ms`) are kept.
 */
export function tidyDurations(text: string): string {
  return text.replace(/\b((?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?)(\d+)ms\b/g, (whole, larger: string, ms: string) => {
    if (larger === '') return whole;
    const total = [...larger.matchAll(/(\d+)(h|m|s)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0) + Number(ms);
    return humanDuration(total);
  });
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000 };

/** `12:00:01Z`: UTC, so lines from a pipeline and a laptop compare. */
export function clockTime(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)}Z`;
}
