import { checkSteps, parseSteps, usageError } from '../release';

/**
 * Pauses for approval (docs/RELEASE-HOOKS.md, "Approval"): a `pause` token inside `--steps` (`10,25,50,pause,100`
 * pauses before the step after it) and `--pause-before <weights>` (`100`, `50,100`). Both become the 0-based step
 * indices of `ReleaseRequest.pauseBefore`.
 */

/** The word that stands for a pause inside `--steps`. */
export const PAUSE_TOKEN = 'pause';

/** `--steps` with its pauses. */
export interface StepsWithPauses {
  readonly steps: number[];
  /** 0-based indices of the steps a `pause` comes before; empty when none. */
  readonly pauseBefore: number[];
}

/**
 * `--steps` such as `10,25,50,pause,100`: the steps, and the steps a `pause` comes before. Without a `pause` token it
 * is `parseSteps`, messages included. A pause may come first (the release runs its pre-release hooks, then waits
 * before any weight moves), never last (no step follows it) nor twice in a row.
 *
 * @throws UsageError naming the flag, the problem, the value and the fix
 */
export function parseStepsWithPauses(text: string, flag = '--steps'): StepsWithPauses {
  const parts = text.split(',').map((p) => p.trim());
  if (!parts.some(isPause)) return { steps: parseSteps(text, flag), pauseBefore: [] };
  const steps: number[] = [];
  const pauseBefore: number[] = [];
  let pending = false;
  for (const raw of parts) {
    if (isPause(raw)) {
      if (pending) throw usageError(flag, `has '${PAUSE_TOKEN}' twice in a row; one pause waits for one approval, so give it once, e.g. 10,50,${PAUSE_TOKEN},100.`, text);
      pending = true;
      continue;
    }
    const part = raw.replace(/%$/, '');
    if (!/^\d+$/.test(part)) {
      throw usageError(flag, `'${raw}' is neither a whole number nor '${PAUSE_TOKEN}'; give comma-separated percentages, e.g. 10,25,50,${PAUSE_TOKEN},100.`, text);
    }
    if (pending) pauseBefore.push(steps.length);
    pending = false;
    steps.push(Number(part));
  }
  if (pending) {
    throw usageError(
      flag,
      `ends with '${PAUSE_TOKEN}', which has no step after it to wait before (the release is promoted at 100 %); put it before a step, e.g. 10,50,${PAUSE_TOKEN},100.`,
      text,
    );
  }
  checkSteps(steps, flag, text);
  return { steps, pauseBefore };
}

/**
 * `--pause-before` such as `100` or `50,100` (a trailing `%` is allowed): the 0-based indices of those weights
 * among `steps`, in order, each once.
 *
 * @param steps the strategy's steps (any strategy: canary's are the canary share and 100, linear's each increment)
 * @throws UsageError for a weight that is not one of the steps
 */
export function parsePauseBefore(text: string, steps: readonly number[], flag = '--pause-before'): number[] {
  const list = steps.join(', ');
  const parts = text.split(',').map((p) => p.trim().replace(/%$/, ''));
  const indices = new Set<number>();
  for (const part of parts) {
    if (!/^\d+$/.test(part)) {
      throw usageError(flag, `'${part}' is not a whole number; give comma-separated step weights to pause before, among the steps (${list}), e.g. ${flag} ${steps[steps.length - 1]}.`, text);
    }
    const index = steps.indexOf(Number(part));
    if (index < 0) {
      throw usageError(flag, `${part} is not one of the release's steps (${list}); give the weight of the step to pause before, e.g. ${flag} ${steps[steps.length - 1]}.`, text);
    }
    indices.add(index);
  }
  return [...indices].sort((a, b) => a - b);
}

/** Both sources of pauses together: each step once, in order. */
export function mergePauses(...lists: ReadonlyArray<readonly number[] | undefined>): number[] | undefined {
  const all = new Set(lists.flatMap((l) => l ?? []));
  return all.size ? [...all].sort((a, b) => a - b) : undefined;
}

/** `before step 4/5 (100 %)`, for messages. */
export function describePause(index: number, steps: readonly number[]): string {
  return `before step ${index + 1}/${steps.length} (${steps[index]} %)`;
}

function isPause(part: string): boolean {
  return part.toLowerCase() === PAUSE_TOKEN;
}
