/**
 * Release hooks: the names and shapes the constructs (hooks declared on the service, in the descriptor), the release
 * engine (which runs them once per release at its points), the adapters (Lambda, webhook, local command), the
 * auto-rollback and the CLI share. See docs/ARCHITECTURE.md, "Release hooks".
 */

/**
 * Where in a release a hook runs:
 * - `pre-release`: after the release claims its record, before any weight moves (expand migrations);
 * - `step`: after each step's bake, a custom analysis that passes, fails (roll back) or is inconclusive (pause);
 * - `pre-promotion`: before the candidate is made live at 100 %;
 * - `post-promotion`: after promotion, while the old colour is warm: a failure rolls back;
 * - `on-rollback`: after a rollback (CLI or automatic); its result is recorded, it never blocks the rollback.
 */
export type HookPointName = 'pre-release' | 'step' | 'pre-promotion' | 'post-promotion' | 'on-rollback';
export const HOOK_POINT_NAMES: readonly HookPointName[] = ['pre-release', 'step', 'pre-promotion', 'post-promotion', 'on-rollback'];

/** How a hook is run: a Lambda function or an HTTPS webhook (declared on the service), or a local command (CLI only). */
export type HookKindName = 'lambda' | 'webhook' | 'command';

/** What a hook said. `inconclusive` pauses the release for a person to approve or roll back. */
export type HookVerdict = 'passed' | 'failed' | 'inconclusive';

/** A hook declared on the service in CDK, as the descriptor's `releaseHooks` lists it. */
export interface ReleaseHookDescriptor {
  /** Unique within the service: lower-case letters, digits and hyphens. Part of the idempotency key. */
  readonly name: string;
  readonly point: HookPointName;
  readonly kind: 'lambda' | 'webhook';
  /** Function ARN (lambda) or `https://` URL (webhook). */
  readonly target: string;
  /** Time one attempt may take, seconds. */
  readonly timeoutSeconds: number;
  /** Attempts after the first when one fails or times out. */
  readonly retries: number;
  /**
   * A contract (destructive) migration: never run while the previous colour can still take traffic back; run by
   * `bluegreen contract <service>` once it is in standby.
   */
  readonly contract: boolean;
}

/** The JSON a hook receives (Lambda payload, webhook body, `BLUEGREEN_EVENT` of a command). */
export interface HookEvent {
  readonly service: string;
  readonly releaseId: string;
  readonly point: HookPointName;
  /** The hook's name. */
  readonly hook: string;
  /** Release id + hook + point (+ step): the same on every attempt and after a crash, so the hook can be idempotent. */
  readonly idempotencyKey: string;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** 1-based step, for `step` hooks. */
  readonly step?: number;
  readonly steps: number;
  /** Production weights when the hook runs. */
  readonly weights: { readonly blue: number; readonly green: number };
  readonly colours: { readonly stable: string; readonly candidate: string };
  /** Image fingerprints the colours run (descriptor), when known. */
  readonly images: { readonly stable?: string; readonly candidate?: string };
  readonly contract: boolean;
}

/** The answer a Lambda hook returns, or a webhook's 2xx body may carry: `{ "verdict": "inconclusive", "detail": "..." }`. */
export interface HookAnswer {
  readonly verdict?: HookVerdict;
  readonly detail?: string;
}

/** One hook run, as the release record keeps it. Written `running` before the hook is called. */
export interface HookRunRecord {
  readonly key: string;
  readonly hook: string;
  readonly point: HookPointName;
  readonly kind: HookKindName;
  readonly step?: number;
  readonly status: 'running' | HookVerdict | 'deferred';
  readonly attempts: number;
  /** Epoch ms. */
  readonly startedAt: number;
  /**
   * Who runs it (a `running` run): of two processes that would run the hook of an ended release (a CLI rollback and
   * the auto-rollback, two `contract` terminals), the one that finds another owner's `running` run younger than its
   * `budgetMs` leaves it to that owner.
   */
  readonly owner?: string;
  /** A `running` run's worst case, ms (timeout × attempts + a margin): past `startedAt + budgetMs` it is presumed dead. */
  readonly budgetMs?: number;
  readonly endedAt?: number;
  /** One line: the hook's detail, or why it failed or was deferred. */
  readonly detail?: string;
}

/** The idempotency key of a hook run. */
export function hookIdempotencyKey(releaseId: string, hook: string, point: HookPointName, step?: number): string {
  return `${releaseId}:${hook}:${point}${step === undefined ? '' : `:${step}`}`;
}

/** Environment variables a local command hook gets (the same fields as the JSON event, which is in `EVENT`). */
export const HOOK_COMMAND_ENV = {
  SERVICE: 'BLUEGREEN_SERVICE',
  RELEASE_ID: 'BLUEGREEN_RELEASE_ID',
  POINT: 'BLUEGREEN_HOOK_POINT',
  HOOK: 'BLUEGREEN_HOOK',
  IDEMPOTENCY_KEY: 'BLUEGREEN_IDEMPOTENCY_KEY',
  ATTEMPT: 'BLUEGREEN_ATTEMPT',
  STEP: 'BLUEGREEN_STEP',
  STEPS: 'BLUEGREEN_STEPS',
  WEIGHT_BLUE: 'BLUEGREEN_WEIGHT_BLUE',
  WEIGHT_GREEN: 'BLUEGREEN_WEIGHT_GREEN',
  STABLE: 'BLUEGREEN_STABLE',
  CANDIDATE: 'BLUEGREEN_CANDIDATE',
  STABLE_IMAGE: 'BLUEGREEN_STABLE_IMAGE',
  CANDIDATE_IMAGE: 'BLUEGREEN_CANDIDATE_IMAGE',
  CONTRACT: 'BLUEGREEN_CONTRACT',
  EVENT: 'BLUEGREEN_EVENT',
} as const;

/** A local command's exit code that means `inconclusive` (0 passes, anything else fails). */
export const HOOK_COMMAND_INCONCLUSIVE_EXIT = 3;

/** The rule for hook names. */
export const HOOK_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Problems of a descriptor's `releaseHooks` (empty when absent or valid). */
export function releaseHookProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return [`releaseHooks must be a list, got ${JSON.stringify(raw)}`];
  const problems: string[] = [];
  const names = new Set<string>();
  raw.forEach((h, i) => {
    const at = `releaseHooks[${i}]`;
    if (typeof h !== 'object' || h === null) return problems.push(`${at} must be an object`);
    const r = h as Record<string, unknown>;
    if (typeof r.name !== 'string' || !HOOK_NAME.test(r.name)) problems.push(`${at}.name must match ${HOOK_NAME}, got ${JSON.stringify(r.name)}`);
    else if (names.has(r.name)) problems.push(`${at}.name ${r.name} is used twice`);
    else names.add(r.name);
    if (!HOOK_POINT_NAMES.includes(r.point as HookPointName)) problems.push(`${at}.point must be one of ${HOOK_POINT_NAMES.join(', ')}, got ${JSON.stringify(r.point)}`);
    if (r.kind !== 'lambda' && r.kind !== 'webhook') problems.push(`${at}.kind must be lambda or webhook, got ${JSON.stringify(r.kind)}`);
    if (typeof r.target !== 'string' || r.target === '') problems.push(`${at}.target must be a non-empty string`);
    for (const k of ['timeoutSeconds', 'retries']) {
      if (typeof r[k] !== 'number' || !Number.isInteger(r[k]) || (r[k] as number) < 0) problems.push(`${at}.${k} must be an integer >= 0, got ${JSON.stringify(r[k])}`);
    }
    if (typeof r.contract !== 'boolean') problems.push(`${at}.contract must be a boolean`);
    return undefined;
  });
  return problems;
}
