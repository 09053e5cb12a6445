/**
 * Flapping: health-driven replacements per colour within a window. The quarantine function publishes the count as
 * a gauge, and the colour's `Flapping` gate alarm fires when it reaches the threshold.
 */
import { COLOUR_NAMES, ColourName, ReplacementMark } from '../../contract';

/** The marks no older than `windowSeconds` before `nowMs` (older ones no longer count, so they are not kept). */
export function trimMarks(marks: readonly ReplacementMark[], nowMs: number, windowSeconds: number): ReplacementMark[] {
  const oldest = nowMs - windowSeconds * 1000;
  return marks.filter((m) => Date.parse(m.at) >= oldest);
}

/**
 * `marks` with `mark` added, unless the same instance is already marked: a duplicate delivery or a re-decided claim
 * is one replacement, not two.
 */
export function addMark(marks: readonly ReplacementMark[], mark: ReplacementMark): ReplacementMark[] {
  return marks.some((m) => m.instanceId === mark.instanceId) ? [...marks] : [...marks, mark];
}

/** Replacements per colour within the window (both colours present, zero when none). */
export function recentReplacements(marks: readonly ReplacementMark[], nowMs: number, windowSeconds: number): Record<ColourName, number> {
  const counts = zeroCounts();
  for (const m of trimMarks(marks, nowMs, windowSeconds)) counts[m.colour] += 1;
  return counts;
}

/** Zero for each colour. */
export function zeroCounts(): Record<ColourName, number> {
  return Object.fromEntries(COLOUR_NAMES.map((c) => [c, 0])) as Record<ColourName, number>;
}
