import { HookEvent } from '../../contract';
import { HookAttemptResult, HookRunner, ReleaseHook } from '../../release/ports';
import { clip, HookTimeoutError, messageOf, parseJson, resultOfAnswer, withTimeout } from './attempt';

/** Characters of a failing webhook's body kept in the error. */
export const WEBHOOK_BODY_CHARS = 200;

/** Bytes of a webhook's answer read at most: a verdict is a few bytes, and the reader may be a 256 MB Lambda. */
export const WEBHOOK_MAX_BODY_BYTES = 64 * 1024;

/** Options of `WebhookHookRunner`. */
export interface WebhookHookRunnerOptions {
  /**
   * Also allow `http://127.0.0.1` URLs: for tests that serve a webhook on loopback, never for a service.
   *
   * @default false - only `https://` URLs
   */
  readonly allowInsecureLoopback?: boolean;
}

/**
 * Runs webhook hooks: one `POST` of the hook event as JSON, with `Idempotency-Key: <key>`.
 *
 * - 2xx: passed, unless the body is JSON with a `verdict` (`{ "verdict": "inconclusive", "detail": "..." }`),
 *   which is honoured (one that is not passed, failed or inconclusive: failed);
 * - anything else, redirects included (they are not followed: the event would go where the service did not
 *   declare): a failed attempt, thrown with the status and the start of the body.
 *
 * Only `https://` URLs: the event names the release and its images, and a webhook may act on it.
 */
export class WebhookHookRunner implements HookRunner {
  private readonly urls: ReadonlyMap<string, string>;

  /**
   * @param urls URL of each webhook hook, by hook name
   */
  constructor(
    urls: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
    private readonly options: WebhookHookRunnerOptions = {},
  ) {
    this.urls = urls instanceof Map ? urls : new Map(Object.entries(urls));
  }

  public async run(hook: ReleaseHook, event: HookEvent, timeoutMs: number): Promise<HookAttemptResult> {
    const target = this.urls.get(hook.name);
    if (!target) throw new Error(`Webhook hook ${hook.name} has no URL: the descriptor declares none under that name (deploy the stack again).`);
    const url = this.checkedUrl(hook.name, target);
    // Never the query or credentials in a message: they may carry a token.
    const what = `Webhook hook ${hook.name} (POST ${url.origin}${url.pathname})`;
    try {
      return await withTimeout(hook.name, what, timeoutMs, async (signal) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Idempotency-Key': event.idempotencyKey, 'user-agent': 'cdk-bluegreen-hook' },
          body: JSON.stringify(event),
          redirect: 'manual',
          signal,
        });
        const body = await boundedText(res, WEBHOOK_MAX_BODY_BYTES);
        if (res.status < 200 || res.status > 299) {
          const start = clip(body.trim().replace(/\s+/g, ' '), WEBHOOK_BODY_CHARS);
          throw new WebhookStatusError(`${what} answered HTTP ${res.status}${start ? `: ${start}` : ''}`);
        }
        return resultOfAnswer(parseJson(body), what);
      });
    } catch (e) {
      if (e instanceof HookTimeoutError || e instanceof WebhookStatusError) throw e;
      throw new Error(`${what} failed: ${describeFetchError(e)}`, { cause: e });
    }
  }

  private checkedUrl(hook: string, target: string): URL {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new Error(`Webhook hook ${hook} has an invalid URL: refused.`);
    }
    // Credentials in a URL would end up in error messages (undici quotes the whole URL) and in the release record.
    if (url.username || url.password) throw new Error(`Webhook hook ${hook} URL carries credentials: refused. Send a token in the URL's path or query instead.`);
    if (url.protocol === 'https:') return url;
    if (this.options.allowInsecureLoopback && url.protocol === 'http:' && url.hostname === '127.0.0.1') return url;
    throw new Error(`Webhook hook ${hook} URL must start with https:// (got ${url.protocol}//${url.host}): refused.`);
  }
}

/** The start of a response body, at most `max` bytes (the rest is not read). */
async function boundedText(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** A webhook that answered with a status other than 2xx. */
class WebhookStatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookStatusError';
  }
}

/** fetch's errors say `fetch failed` and keep the reason in `cause`. */
function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: unknown })?.cause;
  const code = (cause as { code?: string } | undefined)?.code;
  return cause ? `${messageOf(cause)}${code && !messageOf(cause).includes(code) ? ` (${code})` : ''}` : messageOf(e);
}
