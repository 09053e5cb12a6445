import { checkDurationMs, checkWhole } from './parsing';
import { usageError } from './errors';
import { ColourName, COLOUR_NAMES, OwnerProcess, ProcessProbe, StagedImages } from './ports';
import { ReleaseStrategy } from './strategy';

/** Settings of a `ReleaseEngine`. */
export interface ReleaseEngineOptions {
  /** Service name, written into the release record. */
  readonly service: string;
  /** Who drives releases from this engine, e.g. `host/pid` or `auto-rollback`. Written into the release record. */
  readonly owner: string;
  /**
   * How often a bake polls the candidate's target health and gate alarms. At most 20 s, so heartbeats stay well
   * inside the 60 s lease floor.
   *
   * @default 10_000 (10 s)
   */
  readonly pollIntervalMs?: number;
  /**
   * Least time between heartbeats (release-record writes) during a bake. A heartbeat is also how a running release
   * notices an abort or rollback from another process: it stops at its next write.
   *
   * @default 15_000 (15 s)
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * Reads of the weights after each change before the step fails (ALB updates can lag). 1 read when the load
   * balancer is consistent, at most this many.
   *
   * @default 3
   */
  readonly verifyAttempts?: number;
  /**
   * Wait between two reads of the weights.
   *
   * @default 1_000 (1 s)
   */
  readonly verifyIntervalMs?: number;
  /**
   * How long the old colour stays `ready` after promotion, for an instant rollback, before `scaleDown()` may put it
   * in standby (like Argo Rollouts' scaleDownDelaySeconds). Recorded as `scaleDownAt`.
   *
   * @default 900_000 (15 min)
   */
  readonly scaleDownDelayMs?: number;
  /**
   * How long `rollback()` and `abort()` (and the rollback of a failed release) may take: no attempt starts after it,
   * and the outcome is `failed` with what to run. Pair it with a deadline on the AWS clients so that a call in flight
   * ends too (the CLI does: `AwsClients.setDeadline`).
   *
   * @default ROLLBACK_DEADLINE_MS (30 s)
   */
  readonly rollbackDeadlineMs?: number;
  /**
   * The process this engine runs in, recorded with every release-record write it makes (`ownerProcess`), so that
   * another process on the same host can tell when it has died.
   *
   * @default - none recorded
   */
  readonly process?: OwnerProcess;
  /**
   * Tells whether the process recorded in a release record still runs. With it, `resume()` takes over at once a
   * release whose holder on this host is gone (pid gone, or reused by a process that started later), instead of
   * waiting out the lease.
   *
   * @default - none: only the lease tells
   */
  readonly processProbe?: ProcessProbe;
  /**
   * Let `resume()` take over a release whose holder may still be alive (another host, or a live process here), now,
   * instead of waiting until its lease expires. The holder stops at its next record write. `rollback()` and
   * `abort()` always take over (they never wait for a lease); with or without this option they name what they take
   * over.
   *
   * @default false
   */
  readonly takeOver?: boolean;
  /**
   * What the release manifest stages for each colour. When given, `release()` (and `plan()`) check, before any
   * weight moves, that the candidate runs the image staged for it (through the `images` port), and refuse with
   * nothing changed when it does not: a stage that was never deployed would release the old image.
   *
   * @default - no check (no manifest to compare with)
   */
  readonly stagedImages?: StagedImages;
  /**
   * Release the candidate although it does not run the image the manifest stages for it (the pre-flight check
   * `candidate-image` then passes with a warning event, `undeployed-image-allowed`). For when what runs is knowingly
   * what should be released.
   *
   * @default false
   */
  readonly allowUndeployedImage?: boolean;
  /**
   * The service may run both colours at zero instances and serve no clients: a pilot-light standby Region, which DNS
   * sends no one to until a failover scales it up. While both colours are at desired 0, a release moves weights only:
   * pre-flight passes their capacity and health (nothing can be healthy), gate polls check alarms only, and a
   * rollback onto a colour with no target at all is allowed. A colour with desired capacity is held to every target
   * healthy, as always.
   *
   * @default false
   */
  readonly allowZeroCapacity?: boolean;
}

/** Default of `rollbackDeadlineMs`: rollback and abort finish or fail within 30 s. */
export const ROLLBACK_DEADLINE_MS = 30_000;

/** A release to start. */
export interface ReleaseRequest {
  /** How traffic moves. */
  readonly strategy: ReleaseStrategy;
  /**
   * The colour to release. Must be the idle colour.
   *
   * @default - the idle colour
   */
  readonly candidate?: ColourName;
  /**
   * Id of the release record.
   *
   * @default - generated from the time
   */
  readonly releaseId?: string;
  /**
   * 0-based indices of steps to pause before, for a person to approve (`approve()`); the release waits at the
   * previous step's weight, still guarded by its gate and the auto-rollback.
   *
   * @default - no pause
   */
  readonly pauseBefore?: readonly number[];
}

/** Options of `contract()`. */
export interface ContractOptions {
  /**
   * Say what would run, change nothing.
   *
   * @default false
   */
  readonly dryRun?: boolean;
}

/** Options of `rollback()`. */
export interface RollbackOptions {
  /**
   * Why, recorded in the release record.
   *
   * @default 'rollback requested by <owner>'
   */
  readonly reason?: string;
  /**
   * Whether a promoted release may be rolled back while its old colour is still `ready` (before `scaleDownAt`).
   *
   * @default true
   */
  readonly allowAfterPromotion?: boolean;
}

/** Options of `abort()`. */
export interface AbortOptions {
  /**
   * Why, recorded in the release record.
   *
   * @default 'aborted by <owner>'
   */
  readonly reason?: string;
}

/** Options of `promote()`. */
export interface PromoteOptions {
  /**
   * The colour to make live. Needed only when no release is in progress (for example to settle split weights);
   * with a release in progress it must be that release's candidate.
   *
   * @default - the candidate of the release in progress
   */
  readonly colour?: ColourName;
}

/** Options of `scaleDown()`. */
export interface ScaleDownOptions {
  /**
   * Scale the idle colour to standby now, even before `scaleDownAt`, or after a rollback (the idle colour is then
   * the candidate). Never a colour that holds traffic.
   *
   * @default false
   */
  readonly force?: boolean;
}

/** Engine options with defaults applied. */
export interface ResolvedOptions {
  readonly service: string;
  readonly owner: string;
  readonly pollIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly verifyAttempts: number;
  readonly verifyIntervalMs: number;
  readonly scaleDownDelayMs: number;
  readonly rollbackDeadlineMs: number;
  readonly process?: OwnerProcess;
  readonly processProbe?: ProcessProbe;
  readonly takeOver: boolean;
  readonly stagedImages?: StagedImages;
  readonly allowUndeployedImage: boolean;
  readonly allowZeroCapacity: boolean;
}

/** Apply defaults and validate. @throws UsageError */
export function resolveOptions(options: ReleaseEngineOptions): ResolvedOptions {
  if (!options.service) throw usageError('service', 'must be a service name.', options.service);
  if (!options.owner) throw usageError('owner', 'must name who drives the release, e.g. host/pid.', options.owner);
  const resolved: ResolvedOptions = {
    service: options.service,
    owner: options.owner,
    pollIntervalMs: options.pollIntervalMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    verifyAttempts: options.verifyAttempts ?? 3,
    verifyIntervalMs: options.verifyIntervalMs ?? 1_000,
    scaleDownDelayMs: options.scaleDownDelayMs ?? 15 * 60_000,
    rollbackDeadlineMs: options.rollbackDeadlineMs ?? ROLLBACK_DEADLINE_MS,
    process: options.process,
    processProbe: options.processProbe,
    takeOver: options.takeOver ?? false,
    stagedImages: options.stagedImages,
    allowUndeployedImage: options.allowUndeployedImage ?? false,
    allowZeroCapacity: options.allowZeroCapacity ?? false,
  };
  checkDurationMs(resolved.pollIntervalMs, 'pollIntervalMs', 100, 20_000);
  checkDurationMs(resolved.heartbeatIntervalMs, 'heartbeatIntervalMs', 100, 20_000);
  checkWhole(resolved.verifyAttempts, 'verifyAttempts', 1, 5);
  checkDurationMs(resolved.verifyIntervalMs, 'verifyIntervalMs', 0, 5_000);
  checkDurationMs(resolved.scaleDownDelayMs, 'scaleDownDelayMs', 0, 48 * 3_600_000);
  checkDurationMs(resolved.rollbackDeadlineMs, 'rollbackDeadlineMs', 100, 3_600_000);
  return resolved;
}

/** Validate a release request. @throws UsageError */
export function checkRequest(request: ReleaseRequest): void {
  if (!(request.strategy instanceof ReleaseStrategy)) {
    throw usageError('strategy', 'must be a ReleaseStrategy, e.g. ReleaseStrategy.canary(10).', typeof request.strategy);
  }
  checkColour(request.candidate, 'candidate');
  if (request.releaseId !== undefined && !/^[\w.:@/-]{1,128}$/.test(request.releaseId)) {
    throw usageError('releaseId', 'must be 1 to 128 letters, digits or . _ : @ / -.', request.releaseId);
  }
  checkPauseBefore(request.pauseBefore, request.strategy.steps.length);
}

/**
 * Validate `pauseBefore` against a strategy of `steps` steps: whole step indices from 0 (before the first step: the
 * release claims its record and runs its pre-release hooks, then waits with no weight moved) to `steps - 1` (before
 * the step that makes the candidate 100 %). @throws UsageError
 */
export function checkPauseBefore(pauseBefore: readonly number[] | undefined, steps: number): void {
  if (pauseBefore === undefined) return;
  if (!Array.isArray(pauseBefore)) throw usageError('pauseBefore', 'must be a list of 0-based step indices.', pauseBefore);
  for (const i of pauseBefore) {
    if (!Number.isInteger(i) || i < 0 || i >= steps) {
      throw usageError('pauseBefore', `must list 0-based step indices from 0 to ${steps - 1} (the strategy has ${steps} step(s)).`, pauseBefore);
    }
  }
}

/** Throw unless `colour` is undefined, `blue` or `green`. */
export function checkColour(colour: string | undefined, name: string): void {
  if (colour !== undefined && !COLOUR_NAMES.includes(colour as ColourName)) {
    throw usageError(name, "must be 'blue' or 'green'.", colour);
  }
}
