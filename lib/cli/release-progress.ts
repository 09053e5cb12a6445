import { ColourName, formatWeights, ReleaseState, sameWeights, stepWeights, Weights } from '../release';
import { clockTime, humanDuration } from './durations';

/**
 * How far a release in progress is, as far as its record tells another process: which step, how much of the step's
 * bake is done, and when it should promote.
 *
 * The record says which step was verified, not when its bake began, so the bake is estimated from the release's
 * start (step i begins about i bakes after it). When that cannot be right (the release was resumed or took longer),
 * the bake is unknown and the ETA is an upper bound: now plus the rest of this step and every later one.
 */
export interface ReleaseProgress {
  /** The step verified last, 1-based; 0 before the first. */
  readonly step: number;
  readonly steps: number;
  /** The candidate's share at that step. */
  readonly percent: number;
  /** The bake of every step. */
  readonly bakeMs: number;
  /** How much of this step's bake is done, estimated; undefined when it cannot be told. */
  readonly bakedMs?: number;
  /** When the release should promote (epoch ms). */
  readonly etaAt: number;
  /** Whether `etaAt` is only an upper bound (the bake of this step is unknown). */
  readonly etaUpperBound: boolean;
}

/**
 * The progress of `state` at `now`.
 *
 * @param bakeStartedAt when the current step's bake began, when the caller saw the step change itself
 */
export function releaseProgress(state: ReleaseState, now: number, bakeStartedAt?: number): ReleaseProgress {
  const steps = state.steps.length;
  const i = state.stepIndex;
  const bakeMs = state.bakeMs;
  const base = { step: i + 1, steps, percent: i >= 0 ? state.steps[i] : 0, bakeMs };
  if (i < 0) return { ...base, etaAt: now + steps * bakeMs, etaUpperBound: true };
  const after = (steps - i - 1) * bakeMs;
  // Setting and verifying a step takes seconds; allow for it, and for a poll at the end of each bake.
  const slack = Math.max(30_000, bakeMs / 10) * (i + 1);
  const start = bakeStartedAt ?? state.startedAt + i * bakeMs;
  const baked = now - start;
  if (baked < 0 || baked > bakeMs + (bakeStartedAt !== undefined ? 30_000 : slack)) {
    return { ...base, etaAt: now + bakeMs + after, etaUpperBound: true };
  }
  const bakedMs = Math.min(baked, bakeMs);
  return { ...base, bakedMs, etaAt: now + (bakeMs - bakedMs) + after, etaUpperBound: false };
}

/** `baked ~1m30s of 5m, ETA ~12:25:03Z`, or `baking 5m, ETA by 12:27:00Z` when the bake is unknown. */
export function describeBake(p: ReleaseProgress): string {
  if (p.step === 0) return `starting, ETA ~${clockTime(p.etaAt)}`;
  if (p.bakedMs === undefined) return `baking ${humanDuration(p.bakeMs)} per step, ETA by ${clockTime(p.etaAt)}`;
  return `baked ~${humanDuration(p.bakedMs)} of ${humanDuration(p.bakeMs)}, ETA ~${clockTime(p.etaAt)}`;
}

/** A bar of the bake: `[#######-------------]`. */
export function bakeBar(p: ReleaseProgress, width = 20): string {
  if (p.bakedMs === undefined || p.bakeMs === 0) return `[${'?'.repeat(width)}]`;
  const done = Math.round((p.bakedMs / p.bakeMs) * width);
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}]`;
}

/** The candidate's gate as a reading shows it: its healthy targets against its desired capacity, and its alarms. */
export function gateVerdict(colour: string, c: { healthy: number; total: number; desired: number; firingAlarms: readonly string[] }): { passing: boolean; text: string } {
  if (c.firingAlarms.length) return { passing: false, text: `FAILING: alarm firing on ${colour}: ${c.firingAlarms.join(', ')}` };
  if (c.desired === 0) return { passing: false, text: `FAILING: ${colour} has no capacity (desired 0)` };
  if (c.healthy < c.desired) return { passing: false, text: `FAILING: ${colour} has ${c.healthy}/${c.total} healthy targets, ${c.desired} expected` };
  return { passing: true, text: `passing (${colour} ${c.healthy}/${c.total} healthy, no alarm firing)` };
}

/** `set blue 75 % / green 25 %, read back the same` or what differs. */
export function setVersusRead(state: { readonly stable: ColourName; readonly steps: readonly number[]; readonly stepIndex: number }, read: Weights): string {
  const set = stepWeights(state, state.stepIndex);
  if (sameWeights(set, read)) return `set ${formatWeights(set)}, read back the same`;
  return `set ${formatWeights(set)} (step ${Math.max(state.stepIndex + 1, 0)}), read back ${formatWeights(read)}: the next step is being set, or the load balancer lags`;
}
