import { InvokeCommand, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { HookEvent } from '../../contract';
import { HookAttemptResult, HookRunner, ReleaseHook } from '../../release/ports';
import { SharedClientConfig } from '../clients';
import { clip, HookTimeoutError, messageOf, parseJson, resultOfAnswer, withTimeout } from './attempt';

/**
 * The Lambda client hooks are invoked with: the shared configuration (Region, profile, endpoint, connection
 * timeout), but one attempt per call and no request or idle-socket timeout, since a hook function may run for
 * minutes without a byte on the connection. The runner bounds each call by the hook's timeout (an abort signal),
 * and the engine retries the hook: an SDK retry would run the function again behind the engine's back, as the
 * same attempt.
 *
 * A class of its own, so that `clients.get(HookLambdaClient)` caches, counts and fault-handles it like every
 * other client and never hands the short-call Lambda client's settings to a hook.
 */
export class HookLambdaClient extends LambdaClient {
  constructor(config: SharedClientConfig) {
    super({
      ...config,
      maxAttempts: 1,
      requestHandler: { ...config.requestHandler, requestTimeout: 0, socketTimeout: 0 },
    });
  }
}

/** The call the runner makes; `LambdaClient` has it, and tests stub it. */
export interface LambdaInvoker {
  send(command: InvokeCommand, options?: { abortSignal?: AbortSignal; requestTimeout?: number }): Promise<InvokeCommandOutput>;
}

/** The error payload Lambda returns with `FunctionError`. */
interface LambdaErrorPayload {
  readonly errorType?: unknown;
  readonly errorMessage?: unknown;
}

/**
 * Runs Lambda hooks: one synchronous Invoke (RequestResponse) with the hook event as the payload.
 *
 * - the function failed (`FunctionError`: it threw, timed out, ran out of memory): a failed attempt, thrown with
 *   the function's `errorType: errorMessage`;
 * - it returned `{ "verdict": ..., "detail": ... }`: that verdict (one that is not passed, failed or
 *   inconclusive: failed);
 * - it returned anything else: passed.
 *
 * IAM: `lambda:InvokeFunction` on the function.
 */
export class LambdaHookRunner implements HookRunner {
  private readonly functions: ReadonlyMap<string, string>;

  /**
   * @param functions function name or ARN of each Lambda hook, by hook name
   * @param lambda the client (`clients.get(HookLambdaClient)`)
   */
  constructor(functions: ReadonlyMap<string, string> | Readonly<Record<string, string>>, private readonly lambda: LambdaInvoker) {
    this.functions = functions instanceof Map ? functions : new Map(Object.entries(functions));
  }

  public async run(hook: ReleaseHook, event: HookEvent, timeoutMs: number): Promise<HookAttemptResult> {
    const fn = this.functions.get(hook.name);
    if (!fn) throw new Error(`Lambda hook ${hook.name} has no function: the descriptor declares none under that name (deploy the stack again).`);
    const what = `Lambda hook ${hook.name} (${fn})`;
    let out: InvokeCommandOutput;
    try {
      out = await withTimeout(hook.name, what, timeoutMs, (abortSignal) =>
        this.lambda.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(event)) }), {
          abortSignal,
          requestTimeout: timeoutMs,
        }),
      );
    } catch (e) {
      if (e instanceof HookTimeoutError) throw e;
      throw new Error(`${what}: Invoke failed: ${messageOf(e)}`, { cause: e });
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    const payload = parseJson(text);
    if (out.FunctionError) {
      const p = (typeof payload === 'object' && payload !== null ? payload : {}) as LambdaErrorPayload;
      const type = typeof p.errorType === 'string' ? p.errorType : out.FunctionError;
      const message = typeof p.errorMessage === 'string' ? p.errorMessage : clip(text, 200);
      throw new Error(clip(`${what} failed: ${type}${message ? `: ${message}` : ''}`));
    }
    return resultOfAnswer(payload, what);
  }
}
