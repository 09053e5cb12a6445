import { HookEvent, HookPointName, HookRunRecord, HookVerdict, hookIdempotencyKey } from '../../contract';
import { UsageError } from '../errors';
import { ReleaseEventType } from '../events';
import { ReleaseOutcome } from '../outcome';
import { formatDuration } from '../parsing';
import { ConcurrentReleaseError, HookAttemptResult, ReleaseHook, ReleaseState, Weights } from '../ports';
import { allTo } from '../weights';
import { compact, EngineContext, EventExtra, writeRecord } from './context';

/**
 * Release hooks as the engine runs them: once per release, by whoever drives the release, each run recorded
 * `running` in the release record (compare-and-set) before the call and its verdict after, so that a crash during a
 * hook is found by the next process, which runs it again with the same idempotency key.
 */

/** Which list of the record a run goes into: `hooks` (release points) or `contracts` (`contract()`). */
export type HookList = 'hooks' | 'contracts';

/** Where hook runs are recorded: the release record, compare-and-set. */
export interface HookLedger {
  /** The record as last written or read. */
  readonly state: ReleaseState;
  /**
   * Record `run` in `list` (in place of a run with its key, else at the end), with `patch`; compare-and-set.
   *
   * @throws ConcurrentReleaseError when someone else changed the release meanwhile
   */
  record(list: HookList, run: HookRunRecord, patch?: Partial<ReleaseState>): Promise<void>;
  /**
   * A heartbeat while a hook runs, for a release in progress (its lease must not run out under a long hook). An AWS
   * error is reported and left; a lost compare-and-set is thrown.
   */
  heartbeat?(): Promise<void>;
}

/** Time between two looks at a hook that has not answered: the wait never leaves a long timer behind it. */
export const HOOK_WAIT_SLICE_MS = 1_000;

/**
 * Longest detail kept in a run record (hooks answer what they like). With `MAX_HOOK_RUNS` runs at most, the record
 * stays well under DynamoDB's 400 KB item limit.
 */
export const DETAIL_MAX = 300;

/** Most hook runs a release may record (steps × step hooks, plus the hooks of the other points and the contract hooks). */
export const MAX_HOOK_RUNS = 200;

/**
 * Time a `running` run of an ended release is presumed alive past its hook's worst case (timeout × attempts): the
 * verdict's write, and clocks of two machines that differ.
 */
export const HOOK_LEASE_MARGIN_MS = 30_000;

/** A hook's worst case plus `HOOK_LEASE_MARGIN_MS`: how long its `running` run keeps others from running it. */
export function hookBudgetMs(hook: ReleaseHook): number {
  return hook.timeoutMs * (1 + hook.retries) + HOOK_LEASE_MARGIN_MS;
}

/**
 * Another process runs this hook of an ended release now (its `running` run is younger than its budget), or ran it
 * meanwhile: this process leaves it alone.
 */
export class HookRunHeld extends Error {
  constructor(
    message: string,
    public readonly run: HookRunRecord,
  ) {
    super(message);
    this.name = 'HookRunHeld';
  }
}

/** Whether `run` is a `running` run of another owner than `owner`, younger than its budget at `now`. */
export function heldByOther(run: HookRunRecord | undefined, owner: string, now: number): run is HookRunRecord {
  return run?.status === 'running' && run.owner !== undefined && run.owner !== owner && now - run.startedAt < (run.budgetMs ?? 0);
}

/** `post-promotion hook verify is being run by host/42#k3 (since …; presumed dead after …)`. */
export function heldText(run: HookRunRecord): string {
  const until = run.startedAt + (run.budgetMs ?? 0);
  return `${run.point} hook ${run.hook} is being run by ${run.owner} (since ${new Date(run.startedAt).toISOString()}; presumed dead after ${new Date(until).toISOString()})`;
}

/** The place a hook runs at. */
export interface HookPlace {
  readonly point: HookPointName;
  /** 1-based step, for `step` hooks. */
  readonly step?: number;
  /** Production weights when the hook runs. */
  readonly weights: Weights;
}

/** What a hook point said: the first hook that did not pass decides. */
export interface PointVerdict {
  readonly verdict: HookVerdict;
  /** The hook that decided, when one did not pass. */
  readonly hook?: string;
  readonly detail?: string;
}

/** The hooks this engine was given for `point`, contract hooks excepted (never run at release points). */
export function hooksAt(ctx: EngineContext, point: HookPointName): ReleaseHook[] {
  return (ctx.ports.hooks?.hooks ?? []).filter((h) => h.point === point && !h.contract);
}

/** The run of `key` in `list` of `state`. */
export function findRun(state: ReleaseState, key: string, list: HookList = 'hooks'): HookRunRecord | undefined {
  return (state[list] ?? []).find((r) => r.key === key);
}

/** `list` with `run` in place of the run with its key, or appended. */
function upsert(list: readonly HookRunRecord[] | undefined, run: HookRunRecord): HookRunRecord[] {
  const runs = [...(list ?? [])];
  const i = runs.findIndex((r) => r.key === run.key);
  if (i >= 0) runs[i] = run;
  else runs.push(run);
  return runs;
}

/**
 * `state` with `run` recorded in `list`. A step run drops the detail of the passed step runs before its step: the
 * record keeps one line per run, and the detail only where it still matters (failures, the current step).
 */
export function withRun(state: ReleaseState, list: HookList, run: HookRunRecord): ReleaseState {
  let runs = upsert(state[list], run);
  if (run.point === 'step' && run.step !== undefined) {
    const current = run.step;
    runs = runs.map((r) => (r.point === 'step' && r.status === 'passed' && r.step !== undefined && r.step < current && r.detail !== undefined ? withoutDetail(r) : r));
  }
  return { ...state, [list]: runs };
}

function withoutDetail(run: HookRunRecord): HookRunRecord {
  const { detail: _detail, ...rest } = run;
  return rest;
}

/** Whether two runs are the same write of the same run (or both absent). */
function sameRun(a: HookRunRecord | undefined, b: HookRunRecord | undefined): boolean {
  return a?.status === b?.status && a?.owner === b?.owner && a?.startedAt === b?.startedAt;
}

/**
 * The record of a release that has ended (post-promotion hooks of a promoted release, on-rollback hooks, contract
 * hooks). Nobody holds such a record, so each hook run is its own lease: a `running` run carries its owner (this
 * engine's `runOwner`) and budget, and a process that finds another owner's `running` run younger than its budget
 * leaves the hook to it (`HookRunHeld`). A conflict on writing `running` is re-read: if the run of that key changed
 * meanwhile (another process claimed it, or recorded a verdict), this process gives up (`HookRunHeld`); if only
 * something else changed (a scale-down that recorded its fence, another hook's run), the run is written again over
 * the record read. A verdict that conflicts is written over the record read unless a verdict for that key was
 * recorded meanwhile (kept). A change of release or status is thrown. The owner is left as it was.
 */
export class EndedLedger implements HookLedger {
  constructor(
    private readonly ctx: EngineContext,
    public state: ReleaseState,
    public version: number,
  ) {}

  public async record(list: HookList, run: HookRunRecord, patch: Partial<ReleaseState> = {}): Promise<void> {
    const claiming = run.status === 'running';
    const before = findRun(this.state, run.key, list);
    for (let attempt = 1; ; attempt++) {
      const seen = findRun(this.state, run.key, list);
      if (claiming && heldByOther(seen, this.ctx.runOwner, this.ctx.now())) throw new HookRunHeld(`${heldText(seen)}: left to it`, seen);
      const next = compact({ ...withRun(this.state, list, run), ...patch, updatedAt: this.ctx.now() });
      try {
        this.version = await writeRecord(this.ctx, next, this.version);
        this.state = next;
        return;
      } catch (e) {
        if (!(e instanceof ConcurrentReleaseError) || attempt >= 3) throw e;
        const current = await this.ctx.ports.state.read();
        const s = current?.state;
        if (!current || !s || s.releaseId !== this.state.releaseId || s.status !== this.state.status) throw e;
        const stored = findRun(s, run.key, list);
        if (claiming && !sameRun(stored, before)) {
          const what = stored?.status === 'running' ? heldText(stored) : `${run.point} hook ${run.hook} was run meanwhile by another process (${stored?.status ?? 'its run removed'})`;
          throw new HookRunHeld(`${what}: left to it`, stored ?? run);
        }
        this.state = s;
        this.version = current.version;
        // A verdict recorded meanwhile (by a process that took the run over) is kept.
        if (!claiming && stored && stored.status !== 'running' && stored.status !== 'deferred') return;
      }
    }
  }
}

/** The flag of the CLI that gives a command hook (`cmd-pre-release` -> `--pre-release-cmd`). */
export function commandFlag(name: string): string {
  return name.startsWith('cmd-') ? `--${name.slice(4)}-cmd` : `the command hook ${name}`;
}

/** The point of a command hook named `cmd-<point>`, when the name says it. */
function commandPoint(name: string): HookPointName | undefined {
  const point = name.startsWith('cmd-') ? name.slice(4) : undefined;
  return point === 'pre-release' || point === 'step' || point === 'pre-promotion' || point === 'post-promotion' || point === 'on-rollback' ? point : undefined;
}

/**
 * Hooks a process continuing `state` would need and was not given, one line each (`cmd-pre-release: pass
 * --pre-release-cmd again`): a run recorded `running` (a crash during it; it must run again), and a command hook the
 * release was started with whose point is still ahead (`points`).
 */
export function missingHooks(ctx: EngineContext, state: ReleaseState, points: readonly HookPointName[]): string[] {
  const given = new Set((ctx.ports.hooks?.hooks ?? []).map((h) => h.name));
  const missing = new Map<string, string>();
  const why = (name: string, kind: string) =>
    kind === 'command' ? `${name}: pass ${commandFlag(name)} again` : `${name}: no longer declared on the service (deploy it again, or roll back)`;
  for (const run of [...(state.hooks ?? []), ...(state.contracts ?? [])]) {
    if (run.status === 'running' && !given.has(run.hook) && points.includes(run.point)) missing.set(run.hook, why(run.hook, run.kind));
  }
  for (const name of state.commandHooks ?? []) {
    const point = commandPoint(name);
    if (given.has(name) || missing.has(name) || (point !== undefined && !points.includes(point))) continue;
    if (point !== undefined && donePoint(state, name, point)) continue;
    missing.set(name, why(name, 'command'));
  }
  return [...missing.values()];
}

/** Whether a command hook has nothing left to do: its run at a point that runs once has a verdict. */
function donePoint(state: ReleaseState, name: string, point: HookPointName): boolean {
  if (point === 'step') return false;
  const run = findRun(state, hookIdempotencyKey(state.releaseId, name, point));
  return run !== undefined && run.status !== 'running';
}

/**
 * Hooks of a point that runs once (not `step`) with no verdict that lets the release go on yet: given hooks not run
 * (or interrupted), and command hooks the release was started with and this process was not given.
 */
export function pendingAt(ctx: EngineContext, state: ReleaseState, point: HookPointName): string[] {
  const names = new Set([...hooksAt(ctx, point).map((h) => h.name), ...(state.commandHooks ?? []).filter((n) => commandPoint(n) === point)]);
  return [...names].filter((name) => {
    const run = findRun(state, hookIdempotencyKey(state.releaseId, name, point));
    return !run || run.status === 'running';
  });
}

/**
 * Hooks of `point` (post-promotion, on-rollback) an ended release still has to finish, by name: the runs its record
 * keeps as `running` (claimed by the write that ended the release, or cut short by a crash), and the command hooks
 * it was started with that have no run at all (the process that ended it was not given them). A hook the record does
 * not know (declared after the release ended) is not among them.
 */
export function unfinishedAt(state: ReleaseState, point: HookPointName): string[] {
  const names = new Set((state.hooks ?? []).filter((r) => r.point === point && r.status === 'running').map((r) => r.hook));
  for (const name of state.commandHooks ?? []) {
    if (commandPoint(name) === point && !findRun(state, hookIdempotencyKey(state.releaseId, name, point))) names.add(name);
  }
  return [...names];
}

/**
 * `state` with `running` claims of this process's hooks of `point` (post-promotion, on-rollback) that have no verdict
 * yet, for the write that ends the release: a crash before they run leaves them to the next process (`resume`, or
 * rollback again), and only hooks claimed this way (or cut short) are run for an ended release. Each claim's budget
 * covers the hooks before it, which run first.
 */
export function withClaims(ctx: EngineContext, state: ReleaseState, point: 'post-promotion' | 'on-rollback'): ReleaseState {
  let next = state;
  let budget = 0;
  for (const hook of hooksAt(ctx, point)) {
    const key = hookIdempotencyKey(state.releaseId, hook.name, point);
    const run = findRun(state, key);
    if ((run && run.status !== 'running') || heldByOther(run, ctx.runOwner, ctx.now())) continue;
    budget += hookBudgetMs(hook);
    next = withRun(next, 'hooks', {
      key,
      hook: hook.name,
      point,
      kind: hook.kind,
      status: 'running',
      attempts: 0,
      startedAt: ctx.now(),
      owner: ctx.runOwner,
      budgetMs: budget,
    });
  }
  return next;
}

/**
 * Why an inconclusive verdict counts as failed at `point`, or undefined where it waits for approval (step,
 * pre-promotion) or is only recorded (on-rollback).
 */
export function inconclusiveFails(ctx: EngineContext, point: HookPointName): string | undefined {
  if (point === 'pre-release') return 'at pre-release (a migration that cannot tell is not safe to release on)';
  if (point === 'post-promotion') return 'at post-promotion (the old colour is still warm to roll back to)';
  if ((point === 'step' || point === 'pre-promotion') && ctx.ports.exclusion) {
    return 'for a service with a standby Region (its release cannot wait for approval between the Regions)';
  }
  return undefined;
}

/** One line, at most `DETAIL_MAX` characters. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > DETAIL_MAX ? `${line.slice(0, DETAIL_MAX - 1)}…` : line;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The JSON event a hook receives. */
function hookEvent(ctx: EngineContext, s: ReleaseState, hook: ReleaseHook, place: HookPlace, key: string, attempt: number): HookEvent {
  const images = ctx.ports.hooks?.images;
  const stableImage = images?.[s.stable];
  const candidateImage = images?.[s.candidate];
  return {
    service: s.service,
    releaseId: s.releaseId,
    point: place.point,
    hook: hook.name,
    idempotencyKey: key,
    attempt,
    ...(place.step !== undefined ? { step: place.step } : {}),
    steps: s.steps.length,
    weights: { blue: place.weights.blue, green: place.weights.green },
    colours: { stable: s.stable, candidate: s.candidate },
    images: { ...(stableImage !== undefined ? { stable: stableImage } : {}), ...(candidateImage !== undefined ? { candidate: candidateImage } : {}) },
    contract: hook.contract,
  };
}

/** A turn of the event loop: lets a hook that answers at once answer before the first wait slice. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One attempt: the runner raced against `timeoutMs` of the engine's clock, waited in slices of at most
 * `HOOK_WAIT_SLICE_MS` (so that no timer outlives the hook by more than a slice), with heartbeats for a release in
 * progress. A throw, a timeout or an unknown verdict is a failed attempt.
 */
async function attempt(ctx: EngineContext, ledger: HookLedger, hook: ReleaseHook, event: HookEvent): Promise<HookAttemptResult> {
  const runner = ctx.ports.hooks?.runner;
  if (!runner) return { verdict: 'failed', detail: 'no hook runner was given to the engine' };
  const started = ctx.now();
  const box: { answer?: { result?: HookAttemptResult; error?: unknown } } = {};
  const call = Promise.resolve().then(() => runner.run(hook, event, hook.timeoutMs));
  const done = call.then(
    (result) => void (box.answer = { result }),
    (error: unknown) => void (box.answer = { error }),
  );
  await Promise.race([done, nextTurn()]);
  let beat = ctx.now();
  while (!box.answer) {
    const left = started + hook.timeoutMs - ctx.now();
    if (left <= 0) return { verdict: 'failed', detail: `no answer within its timeout of ${formatDuration(hook.timeoutMs)}` };
    // The answer ends the wait at once; the slice only bounds how long a silent hook goes unchecked.
    await Promise.race([done, ctx.ports.clock.sleep(Math.min(left, HOOK_WAIT_SLICE_MS))]);
    if (!box.answer && ledger.heartbeat && ctx.now() - beat >= ctx.opts.heartbeatIntervalMs) {
      beat = ctx.now();
      await ledger.heartbeat();
    }
  }
  const { result, error } = box.answer;
  if (!result) return { verdict: 'failed', detail: `threw: ${oneLine(errorText(error))}` };
  if (result.verdict !== 'passed' && result.verdict !== 'failed' && result.verdict !== 'inconclusive') {
    return { verdict: 'failed', detail: `answered an unknown verdict ${JSON.stringify(result.verdict)}` };
  }
  return { verdict: result.verdict, ...(result.detail ? { detail: oneLine(String(result.detail)) } : {}) };
}

/** `Pre-release`, `Step 2/4`: a place at the start of a sentence. */
function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Words for a place: `pre-release`, `step 2/4`. */
export function placeText(place: { readonly point: HookPointName; readonly step?: number }, steps: number): string {
  return place.point === 'step' && place.step !== undefined ? `step ${place.step}/${steps}` : place.point;
}

/**
 * Run one hook: record it `running` (compare-and-set), call it up to 1 + retries times (each attempt with the
 * timeout), then record the verdict with `onVerdict`'s patch (e.g. `awaitingApproval` for an inconclusive step hook,
 * in the same write, so no crash can separate them).
 *
 * @throws ConcurrentReleaseError when the record changed under the run (preempted), or a port error of a write
 */
export async function runHook(
  ctx: EngineContext,
  ledger: HookLedger,
  hook: ReleaseHook,
  place: HookPlace,
  list: HookList,
  onVerdict?: (run: HookRunRecord) => Partial<ReleaseState> | undefined,
): Promise<HookRunRecord> {
  const s = ledger.state;
  const key = hookIdempotencyKey(s.releaseId, hook.name, place.point, place.step);
  const base = { key, hook: hook.name, point: place.point, kind: hook.kind, ...(place.step !== undefined ? { step: place.step } : {}) };
  const startedAt = ctx.now();
  const last = findRun(s, key, list);
  const again = last?.status === 'running' && last.owner !== ctx.runOwner ? ' again (its last run was interrupted)' : '';
  await ledger.record(list, { ...base, status: 'running', attempts: 0, startedAt, owner: ctx.runOwner, budgetMs: hookBudgetMs(hook) });
  const extra: EventExtra = { hook: hook.name, point: place.point, weights: place.weights, ...(place.step !== undefined ? { step: place.step, steps: s.steps.length } : {}) };
  const where = hook.contract ? 'contract' : placeText(place, s.steps.length);
  const total = 1 + hook.retries;
  let result: HookAttemptResult = { verdict: 'failed' };
  let attempts = 0;
  for (let n = 1; n <= total; n++) {
    attempts = n;
    ctx.emit(ReleaseEventType.HOOK_STARTED, `Running ${where} hook ${hook.name} (${hook.kind}${total > 1 ? `, attempt ${n}/${total}` : ''}, key ${key})${again}`, {
      ...extra,
      attempt: n,
    });
    result = await attempt(ctx, ledger, hook, hookEvent(ctx, s, hook, place, key, n));
    if (result.verdict !== 'failed') break;
    if (n < total) {
      ctx.emit(ReleaseEventType.HOOK_RETRYING, `${capital(where)} hook ${hook.name} attempt ${n}/${total} failed${result.detail ? `: ${result.detail}` : ''}; trying again`, { ...extra, attempt: n });
    }
  }
  const fails = result.verdict === 'inconclusive' && list === 'hooks' ? inconclusiveFails(ctx, place.point) : undefined;
  if (fails) result = { verdict: 'failed', detail: oneLine(`inconclusive, which counts as failed ${fails}${result.detail ? `: ${result.detail}` : ''}`) };
  const run: HookRunRecord = {
    ...base,
    status: result.verdict,
    attempts,
    startedAt,
    endedAt: ctx.now(),
    ...(result.detail ? { detail: result.detail } : {}),
  };
  await ledger.record(list, run, onVerdict?.(run));
  const said = result.detail ? `: ${result.detail}` : '';
  const type =
    result.verdict === 'passed' ? ReleaseEventType.HOOK_PASSED : result.verdict === 'failed' ? ReleaseEventType.HOOK_FAILED : ReleaseEventType.HOOK_INCONCLUSIVE;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  ctx.emit(type, `${capital(where)} hook ${hook.name} ${result.verdict}${tries}${said}`, { ...extra, attempt: attempts });
  return run;
}

/**
 * Run the hooks of a point in declaration order, skipping those whose run for this release already has a verdict
 * that let the release go on (`passed`; `inconclusive` that a person approved; `deferred`). A recorded `failed`
 * decides without running anything; a `running` run (a crash during it) runs again with the same key. The first
 * hook that does not pass decides; the hooks after it are not run.
 */
export async function runHookPoint(
  ctx: EngineContext,
  ledger: HookLedger,
  place: HookPlace,
  onVerdict?: (run: HookRunRecord) => Partial<ReleaseState> | undefined,
  options: {
    /** The hooks to run (of this point): default all this process was given. */
    readonly hooks?: readonly ReleaseHook[];
    /** Told before each hook is run. */
    readonly before?: (hook: ReleaseHook) => void;
  } = {},
): Promise<PointVerdict> {
  for (const hook of options.hooks ?? hooksAt(ctx, place.point)) {
    const known = findRun(ledger.state, hookIdempotencyKey(ledger.state.releaseId, hook.name, place.point, place.step));
    if (known?.status === 'passed' || known?.status === 'inconclusive' || known?.status === 'deferred') continue;
    if (known?.status === 'failed') return { verdict: 'failed', hook: hook.name, detail: known.detail };
    options.before?.(hook);
    const run = await runHook(ctx, ledger, hook, place, 'hooks', onVerdict);
    if (run.status !== 'passed') return { verdict: run.status as HookVerdict, hook: hook.name, detail: run.detail };
  }
  return { verdict: 'passed' };
}

/** `pre-release hook migrate failed: detail`. */
export function verdictText(place: { readonly point: HookPointName; readonly step?: number }, steps: number, verdict: PointVerdict): string {
  return `${placeText(place, steps)} hook ${verdict.hook} ${verdict.verdict === 'inconclusive' ? 'was inconclusive' : verdict.verdict}${verdict.detail ? `: ${verdict.detail}` : ''}`;
}

/** A recorded verdict `failed` at a point that gates the release (a crash came between it and the rollback). */
export function recordedFailure(state: ReleaseState): HookRunRecord | undefined {
  return (state.hooks ?? []).find((r) => r.status === 'failed' && (r.point === 'pre-release' || r.point === 'step' || r.point === 'pre-promotion'));
}

/**
 * Refuse a release whose hook runs would not fit the release record: one run per step hook per step, one per hook of
 * each other point, one per contract hook (deferred); at most `MAX_HOOK_RUNS`.
 *
 * @throws UsageError
 */
export function checkHookBudget(hooks: readonly ReleaseHook[] | undefined, steps: number): void {
  const all = hooks ?? [];
  const stepHooks = all.filter((h) => h.point === 'step' && !h.contract).length;
  const others = all.length - stepHooks;
  const total = steps * stepHooks + others;
  if (total <= MAX_HOOK_RUNS) return;
  throw new UsageError(
    `A release of ${steps} steps with ${stepHooks} step hook(s) would record ${total} hook runs ` +
      `(${steps} × ${stepHooks}${others ? ` + ${others} for its other hooks` : ''}), more than the ${MAX_HOOK_RUNS} a release record keeps. ` +
      'Release with fewer steps (e.g. --steps 10,25,50,100) or fewer step hooks.',
  );
}

/** `deferred` runs of the contract hooks, for the record a release claims. */
export function deferredContractRuns(ctx: EngineContext, state: ReleaseState): HookRunRecord[] {
  return (ctx.ports.hooks?.hooks ?? [])
    .filter((h) => h.contract)
    .map((h) => ({
      key: hookIdempotencyKey(state.releaseId, h.name, h.point),
      hook: h.name,
      point: h.point,
      kind: h.kind,
      status: 'deferred' as const,
      attempts: 0,
      startedAt: state.startedAt,
      detail: deferredDetail(ctx, state),
    }));
}

/** When a deferred contract hook becomes allowed, for its record. */
export function deferredDetail(ctx: EngineContext, state: ReleaseState): string {
  const service = ctx.opts.service;
  const when =
    state.scaleDownAt !== undefined
      ? `scale-down is due at ${new Date(state.scaleDownAt).toISOString()} (\`bluegreen scale-down ${service}\`)`
      : `after the release succeeds and \`bluegreen scale-down ${service}\` puts it in standby`;
  return oneLine(`contract migration, never run during a release: \`bluegreen contract ${service}\` runs it once ${state.stable} (the old colour) is in standby; ${when}`);
}

/** `state` with the details of its deferred contract runs brought up to date (after promotion: the scale-down time). */
export function refreshDeferred(ctx: EngineContext, state: ReleaseState): ReleaseState {
  if (!state.hooks?.some((r) => r.status === 'deferred')) return state;
  const detail = deferredDetail(ctx, state);
  return { ...state, hooks: state.hooks.map((r) => (r.status === 'deferred' ? { ...r, detail } : r)) };
}

/** Emit `hook-deferred` for each deferred contract run of a record just claimed. */
export function announceDeferred(ctx: EngineContext, state: ReleaseState): void {
  for (const r of state.hooks ?? []) {
    if (r.status === 'deferred') ctx.emit(ReleaseEventType.HOOK_DEFERRED, `Contract hook ${r.hook} deferred: ${r.detail}`, { hook: r.hook, point: r.point });
  }
}

/**
 * After a rollback (or an abort) that ended verified: run the on-rollback hooks the record says are unfinished
 * (`unfinishedAt`: claimed by the write that ended the release, cut short by a crash, or command hooks the release
 * was started with and never run), on the ended record at `version`. Their verdicts are recorded and never change the
 * outcome's status; a failure, a hook another process is running (left to it), or an error that stopped them, is
 * added to its message. Hooks this process was not given are reported (`hook-skipped`), with how to run them.
 */
export async function runOnRollbackHooks(ctx: EngineContext, outcome: ReleaseOutcome, version: number): Promise<ReleaseOutcome> {
  const s = outcome.state;
  if (!s || (s.status !== 'rolled-back' && s.status !== 'aborted')) return outcome;
  const given = new Map(hooksAt(ctx, 'on-rollback').map((h) => [h.name, h]));
  const names = unfinishedAt(s, 'on-rollback');
  for (const name of names.filter((n) => !given.has(n))) {
    const how = name.startsWith('cmd-') ? ` ${commandFlag(name)} <command>` : '';
    ctx.emit(
      ReleaseEventType.HOOK_SKIPPED,
      `on-rollback hook ${name} was not run: this process was not given it; run \`bluegreen rollback ${ctx.opts.service}${how}\` to run it`,
      { hook: name, point: 'on-rollback' },
    );
  }
  const pending = [...given.values()].filter((h) => names.includes(h.name));
  if (pending.length === 0) return outcome;
  const ledger = new EndedLedger(ctx, s, version);
  const notes: string[] = [];
  for (const hook of pending) {
    try {
      const run = await runHook(ctx, ledger, hook, { point: 'on-rollback', weights: allTo(s.stable) }, 'hooks');
      if (run.status !== 'passed') notes.push(`on-rollback hook ${hook.name} ${run.status}${run.detail ? ` (${run.detail})` : ''}`);
    } catch (e) {
      if (e instanceof HookRunHeld) {
        notes.push(e.message);
        continue;
      }
      notes.push(`on-rollback hooks not finished (${errorText(e)}): run rollback again to finish them`);
      break;
    }
  }
  const note = notes.length ? ` ${notes.join('; ')}; the rollback stands.` : '';
  return { ...outcome, state: ledger.state, message: `${outcome.message}${note}` };
}
