/**
 * Ports of the release engine. The engine depends on these interfaces only; `lib/aws/` implements them with the
 * AWS SDK v3, and tests implement them with fakes. Nothing in `lib/release/` imports an AWS SDK.
 */

import { CapacityModeName, ColourName, HookEvent, HookKindName, HookPointName, HookRunRecord, HookVerdict } from '../contract';

export { CapacityModeName, ColourName, COLOUR_NAMES, otherColour } from '../contract';

/** Weights of the production route (ALB weights, 0..999; the engine uses percentages that add up to 100). */
export interface Weights {
  readonly blue: number;
  readonly green: number;
}

/** Reads and writes the weights of the production route, and where the test route points. */
export interface TrafficRouter {
  /** Current production weights, as the load balancer reports them. */
  getWeights(): Promise<Weights>;
  /** Set the production weights in one call. The engine reads them back afterwards. */
  setWeights(weights: Weights): Promise<void>;
  /** Point the test route at `colour` (the idle colour). */
  setTestTarget(colour: ColourName): Promise<void>;
  /** Which colour the test route points at. */
  getTestTarget(): Promise<ColourName>;
}

/** Health of a colour's targets as the load balancer sees them. */
export interface TargetHealthCount {
  /** Targets in state `healthy`. */
  readonly healthy: number;
  /** All registered targets (any state). */
  readonly total: number;
}

/** Reads target health. */
export interface TargetHealth {
  count(colour: ColourName): Promise<TargetHealthCount>;
}

/** Reads the alarms a release gates on. */
export interface AlarmGate {
  /** Names of the colour's gate alarms that are in ALARM now (empty when none). */
  firing(colour: ColourName): Promise<string[]>;
}


/** Capacity of a colour's Auto Scaling group. */
export interface CapacityState {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  /** Instances in service. */
  readonly inService: number;
}

/** Reads and changes a colour's capacity. */
export interface FleetCapacity {
  describe(colour: ColourName): Promise<CapacityState>;
  /** Scale the colour to the sizes of `mode` (serving size for active/ready, zero for standby). */
  setMode(colour: ColourName, mode: CapacityModeName): Promise<void>;
}

/**
 * The process that drives a release, recorded with the lease so that a process on the same host can tell a holder
 * that died (Ctrl-C, SIGKILL, a lost laptop) from one that is only quiet.
 */
export interface OwnerProcess {
  /** Host name. */
  readonly host: string;
  /** Process id on that host. */
  readonly pid: number;
  /** When the process started, epoch ms: a pid reused by a later process has a later start. */
  readonly startedAt: number;
  /**
   * Which process table `pid` belongs to, when the host can tell (Linux: boot id and pid namespace), so that two
   * containers that share a host name never judge each other's pids.
   */
  readonly pidNamespace?: string;
}

/**
 * What a probe says of a recorded owner process: `running`; `exited` (no such pid); `pid-reused` (the pid runs
 * another process, started at another time); `elsewhere` (another host or pid namespace: this one cannot tell);
 * `unknown` (this host cannot tell).
 */
export type OwnerProcessState = 'running' | 'exited' | 'pid-reused' | 'elsewhere' | 'unknown';

/** Tells whether a recorded owner process still runs. Only its own host (and pid namespace) can tell. */
export interface ProcessProbe {
  check(process: OwnerProcess): OwnerProcessState;
}

/**
 * What the release manifest stages for each colour (its `image` entries: `ami-…`, `ssm:<name>`, `baked:<name>`).
 * Given to the engine so that `release()` refuses a candidate that does not run what was staged for it.
 */
export interface StagedImages {
  readonly blue?: string;
  readonly green?: string;
}

/** Whether a colour runs the image the manifest stages for it. */
export interface StagedImageVerdict {
  /** True when the colour's last deploy put the staged image on it (and, for a bake, nothing newer was baked). */
  readonly deployed: boolean;
  /** One line: what was compared with what; when not deployed, why and the fix. */
  readonly detail: string;
}

/** Compares a staged image with what a colour runs (the descriptor's last deploy, SSM, EC2). */
export interface DeployedImages {
  /**
   * Whether `colour` runs `staged`: an `ami-` entry equal to the AMI its launch template resolved at the last deploy;
   * an `ssm:<name>` entry whose parameter holds that AMI now; a `baked:<name>` entry whose image the last deploy put
   * there, as its newest bake.
   *
   * @throws when AWS cannot be read (the engine then refuses: it cannot tell)
   */
  verify(colour: ColourName, staged: string): Promise<StagedImageVerdict>;
}

/** Lifecycle of a release. */
export type ReleaseStatus = 'in-progress' | 'succeeded' | 'rolled-back' | 'aborted';

/** Why and since when a release waits for approval. */
export interface AwaitingApproval {
  /** Epoch ms. */
  readonly since: number;
  /** 0-based index of the step it will apply once approved. */
  readonly beforeStep: number;
  /** `pause`: a declared pause; `inconclusive`: a step hook could not decide. */
  readonly reason: 'pause' | 'inconclusive';
  /** One line for status. */
  readonly detail: string;
}

/**
 * A hook as the engine runs it: declared on the service (lambda, webhook) or given to the CLI (command).
 */
export interface ReleaseHook {
  readonly name: string;
  readonly point: HookPointName;
  readonly kind: HookKindName;
  /** Time one attempt may take, ms. */
  readonly timeoutMs: number;
  /** Attempts after the first. */
  readonly retries: number;
  readonly contract: boolean;
}

/** What one attempt of a hook said. Throwing counts as a failed attempt (retried). */
export interface HookAttemptResult {
  readonly verdict: HookVerdict;
  readonly detail?: string;
}

/** Runs hooks (lib/aws: Lambda Invoke, HTTPS, child process). */
export interface HookRunner {
  /** One attempt; should give up by `timeoutMs` (the engine also stops waiting then, and counts it failed). */
  run(hook: ReleaseHook, event: HookEvent, timeoutMs: number): Promise<HookAttemptResult>;
}

/** The service's hooks and their runner. */
export interface ReleaseHooks {
  readonly hooks: readonly ReleaseHook[];
  readonly runner: HookRunner;
  /** Image fingerprints of the colours, for the hook event. */
  readonly images?: { readonly blue?: string; readonly green?: string };
}

/** The release record kept in AWS, so a new process can resume or roll back an interrupted release. */
export interface ReleaseState {
  /** Unique id of the release. */
  readonly releaseId: string;
  /** Service name. */
  readonly service: string;
  readonly status: ReleaseStatus;
  /** The last good colour: where a rollback sends 100 %. */
  readonly stable: ColourName;
  /** The colour being released. */
  readonly candidate: ColourName;
  /** Candidate weights of each step, ending at 100. */
  readonly steps: readonly number[];
  /** Bake time per step, milliseconds. */
  readonly bakeMs: number;
  /** Index of the last step whose weights were applied and verified; -1 before the first. */
  readonly stepIndex: number;
  /** Who drives the release (host/pid or `auto-rollback`). */
  readonly owner: string;
  /** The process behind `owner`, when it recorded one (the CLI does; the auto-rollback does not). */
  readonly ownerProcess?: OwnerProcess;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of the last write: a heartbeat while in progress. */
  readonly updatedAt: number;
  /** Why it ended, when it did not succeed. */
  readonly reason?: string;
  /** Hook runs of this release, in order (written `running` before each call, its verdict after). */
  readonly hooks?: readonly HookRunRecord[];
  /** 0-based indices of steps the release pauses before, for a person to approve (`--pause-before`, `pause` in steps). */
  readonly pauseBefore?: readonly number[];
  /**
   * Set while the release waits for approval at the current weight (still `in-progress`: the auto-rollback keeps
   * guarding it; `resume` refuses it; `approve` clears it and continues).
   */
  readonly awaitingApproval?: AwaitingApproval;
  /** Contract hooks run by `contract()` after this release's old colour went to standby. */
  readonly contracts?: readonly HookRunRecord[];
  /**
   * Names of the local command hooks (`cmd-<point>`) the process that started the release was given (never their
   * text): a `resume` or `approve` that would need one of them and was not given it refuses, naming the flag.
   */
  readonly commandHooks?: readonly string[];
  /** When the old colour goes to standby after promotion (epoch ms), if it has not yet. */
  readonly scaleDownAt?: number;
  /**
   * When `scaleDown` put this release's idle colour (the old colour after success, else the candidate) in standby,
   * epoch ms. Written before the capacity changes, as a fence: a release whose pre-flight sees it less than a
   * minute old refuses, since the colour it would release is on its way to zero.
   */
  readonly scaledDownAt?: number;
}

/** A stored state and its version, for optimistic concurrency. */
export interface VersionedState {
  readonly state: ReleaseState;
  /** Opaque version; pass it back to `write`. */
  readonly version: number;
}

/** Raised by `ReleaseStateStore.write` when someone else wrote since `expectedVersion`. */
export class ConcurrentReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentReleaseError';
  }
}

/** Stores the release state with compare-and-set. */
export interface ReleaseStateStore {
  /** The current state, or undefined when the service never had a release. */
  read(): Promise<VersionedState | undefined>;
  /**
   * Write `state` if the stored version is still `expectedVersion` (undefined: nothing stored yet).
   *
   * @returns the new version
   * @throws ConcurrentReleaseError when the stored version differs
   */
  write(state: ReleaseState, expectedVersion: number | undefined): Promise<number>;
}

/** Time, injectable so tests run instantly. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** One thing that happened during a command, for progress output and `--json`. */
export interface ReleaseEvent {
  readonly type: string;
  readonly message: string;
  readonly at: number;
  readonly weights?: Weights;
  readonly step?: number;
  readonly steps?: number;
  /**
   * During a bake (`gate-passed`, `gate-unread`, `bake-restarted`): the bake credit of the step, ms: time during which
   * the gate was read and healthy, with no gap longer than two poll intervals.
   */
  readonly bakedMs?: number;
  /** During a bake: the step's bake time, ms. */
  readonly bakeMs?: number;
  /** Hook events (`hook-*`): the hook's name. */
  readonly hook?: string;
  /** Hook events: the hook's point. */
  readonly point?: HookPointName;
  /** Hook events: the attempt (1-based). */
  readonly attempt?: number;
}

/** Where events go. */
export interface Logger {
  event(event: ReleaseEvent): void;
}

/**
 * Something else that may hold the service and must exclude a release (the disaster-recovery record, for a service
 * with a standby Region). Asked after the release has claimed its record, so that of two that start at once at
 * least one sees the other; and by `contract()` before it runs anything.
 *
 * Given only for a service with a standby Region, it also tells the engine so: such a release never waits for
 * approval (the staggered release must end one Region's release before the next), so `pauseBefore` is refused and
 * an inconclusive step or pre-promotion hook counts as failed.
 */
export interface ReleaseExclusion {
  /** Why a release must not go on now (one line, with the fix), or undefined when it may. */
  refusal(): Promise<string | undefined>;
}

/** Every port the engine needs. */
export interface ReleasePorts {
  readonly traffic: TrafficRouter;
  readonly health: TargetHealth;
  readonly alarms: AlarmGate;
  readonly capacity: FleetCapacity;
  readonly state: ReleaseStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Compares staged images with what the colours run; needed when the engine is given `stagedImages`.
   *
   * @default - none: a release with `stagedImages` is refused, since what the candidate runs cannot be checked
   */
  readonly images?: DeployedImages;
  /**
   * Checked after a release claims its record and before it changes anything; a refusal withdraws the release.
   *
   * @default - nothing excludes a release
   */
  readonly exclusion?: ReleaseExclusion;
  /**
   * Release hooks to run at their points.
   *
   * @default - none
   */
  readonly hooks?: ReleaseHooks;
}
