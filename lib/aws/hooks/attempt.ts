/**
 * What the hook runners share: reading a hook's answer, keeping details short, and bounding an attempt by its
 * timeout.
 */
import { HookAnswer, HookVerdict } from '../../contract';
import { HookAttemptResult } from '../../release/ports';

const VERDICTS: readonly HookVerdict[] = ['passed', 'failed', 'inconclusive'];

/** Longest detail a runner returns (the release record keeps one per hook run). */
export const MAX_HOOK_DETAIL_CHARS = 500;

/** `text` cut to `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number = MAX_HOOK_DETAIL_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The verdict of a hook's answer (a Lambda's payload, a webhook's 2xx body), already parsed from JSON.
 *
 * - an object with a `verdict`: that verdict, with its `detail` (a verdict that is not passed, failed or
 *   inconclusive fails the attempt: the hook is broken, and a release does not go on on a broken hook's word);
 * - anything else (no body, `null`, a string, an object without `verdict`): passed, with the object's `detail`.
 */
export function resultOfAnswer(answer: unknown, who: string): HookAttemptResult {
  const a = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as HookAnswer & Record<string, unknown>) : undefined;
  const detail = typeof a?.detail === 'string' && a.detail !== '' ? clip(a.detail) : undefined;
  if (a?.verdict === undefined || a.verdict === null) return { verdict: 'passed', ...(detail ? { detail } : {}) };
  if (!VERDICTS.includes(a.verdict)) {
    return {
      verdict: 'failed',
      detail: clip(`${who} answered verdict ${JSON.stringify(a.verdict)}, not one of ${VERDICTS.join(', ')}${detail ? `: ${detail}` : ''}`),
    };
  }
  return { verdict: a.verdict, ...(detail ? { detail } : {}) };
}

/** JSON of `text`, or undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An attempt that did not finish within its timeout. */
export class HookTimeoutError extends Error {
  constructor(
    public readonly hook: string,
    public readonly timeoutMs: number,
    what: string,
  ) {
    super(`${what} gave no answer within ${seconds(timeoutMs)}: attempt abandoned`);
    this.name = 'HookTimeoutError';
  }
}

/**
 * Run `call` with a signal that aborts at `timeoutMs`, and give up then even if `call` ignores the signal.
 *
 * @throws HookTimeoutError at the timeout; whatever `call` throws before it
 */
export async function withTimeout<T>(hook: string, what: string, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new HookTimeoutError(hook, timeoutMs, what);
      reject(error);
      abort.abort(error);
    }, timeoutMs);
  });
  const running = call(abort.signal);
  // The call may still settle after the timeout won: that outcome is nobody's any more.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** `12s`, `1.5s`, `30m`: a duration for messages. */
export function seconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 100) / 10}s`;
}

/** One line of an error, for a detail. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
