/**
 * Ports of the feature-flag engine (lib/release/feature-flags). Interfaces only: lib/aws/feature-flags implements
 * them with the SDK (AppConfig, CloudWatch, DynamoDB), tests with fakes. Nothing here imports an SDK.
 */
import type { FeatureFlagRecord } from '../../contract';
import type { Clock } from '../ports';

export type { FeatureFlagRecord, FeatureFlagChange, FeatureFlagMonitorSuspension } from '../../contract';
export type { Clock } from '../ports';

/** AppConfig's deployment states (the SDK's DeploymentState). */
export type FlagDeploymentState = 'BAKING' | 'VALIDATING' | 'DEPLOYING' | 'COMPLETE' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'REVERTED';

/** States in which a deployment still holds the environment (a second StartDeployment conflicts). */
export const FLAG_DEPLOYMENT_RUNNING_STATES: readonly FlagDeploymentState[] = ['BAKING', 'VALIDATING', 'DEPLOYING', 'ROLLING_BACK'];

/** One deployment of the service's flags environment. */
export interface FlagDeployment {
  readonly deploymentNumber: number;
  readonly state: FlagDeploymentState;
  /** The hosted configuration version it deploys (a number, as a string). */
  readonly configurationVersion: string;
  /** 0-100. */
  readonly percentageComplete: number;
  /** Epoch ms. */
  readonly startedAt?: number;
  /** Epoch ms. */
  readonly completedAt?: number;
  /** Total deployment time of its strategy and its final bake, minutes. */
  readonly deploymentDurationMinutes?: number;
  readonly finalBakeTimeMinutes?: number;
  /** The description the deploying command gave (who and why). GetDeployment only: ListDeployments has none. */
  readonly description?: string;
  /** GetDeployment only: the deployment strategy's id (a kill's is the descriptor's killStrategyId). */
  readonly strategyId?: string;
  /** Its strategy's growth factor, percent (the kill strategy's: 100). */
  readonly growthFactor?: number;
  /** GetDeployment only: why it rolled back, from its event log, when AppConfig said (e.g. the alarm's ARN). */
  readonly rollbackReason?: string;
  /**
   * It deploys another configuration profile of the environment (not the flags): it holds the environment while it
   * runs, but its version is never what the flags serve.
   */
  readonly otherProfile?: boolean;
}

/**
 * What `stopDeployment` did: `stopped` (AppConfig rolls it back: ROLLED_BACK), `reverted` (it was BAKING: stopped
 * with AllowRevert; AppConfig's API reference: an in-progress deployment stopped so ends ROLLED_BACK, the previous
 * version served again), `ended` (it had ended already, on its own: nothing done), or `busy` (AppConfig refused the
 * stop in a state it cannot stop now: VALIDATING or ROLLING_BACK, or DEPLOYING again by the time it was read; read
 * it, then stop again or wait for its end).
 */
export type FlagStopResult = 'stopped' | 'reverted' | 'ended' | 'busy';

/** StartDeployment was refused because another deployment holds the environment (AppConfig's 409 ConflictException). */
export class FlagDeploymentConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagDeploymentConflictError';
  }
}

/** The service's AppConfig application, environment and feature-flag profile (ids from the descriptor). */
export interface FeatureFlagConfigPort {
  /**
   * The environment's deployments, newest first, down to (at least) the newest COMPLETE deployment of the flags
   * profile (deployments of other profiles are marked `otherProfile`).
   *
   * @throws when the history is too long to find it: fail closed rather than rebuild the flags from their defaults
   */
  listDeployments(): Promise<FlagDeployment[]>;
  getDeployment(deploymentNumber: number): Promise<FlagDeployment>;
  /**
   * Stop a running deployment: plainly (DEPLOYING: ROLLED_BACK), or with AllowRevert when AppConfig refuses a plain
   * stop of a BAKING one (REVERTED); never AllowRevert for a COMPLETE one. Either way the previous version is served
   * again. A deployment that already ended is not an error; VALIDATING and ROLLING_BACK answer `busy`.
   */
  stopDeployment(deploymentNumber: number): Promise<FlagStopResult>;
  /** A hosted version's content (feature-flag JSON). */
  readVersion(version: string): Promise<string>;
  /** Create a hosted version; returns its number (as a string). */
  createVersion(content: string, description: string): Promise<string>;
  /**
   * Start deploying `version` with `strategyId` (an id from the descriptor, or `AppConfig.AllAtOnce`).
   *
   * @returns the deployment number
   * @throws FlagDeploymentConflictError when another deployment holds the environment
   */
  startDeployment(version: string, strategyId: string, description: string): Promise<number>;
}

/** The environment's monitor alarm (the composite of both gates). */
export interface FeatureFlagMonitorPort {
  /** Its current state and whether its actions are enabled (AppConfig rolls back only on alarms with actions). */
  read(): Promise<{ readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; readonly actionsEnabled: boolean }>;
  /** DisableAlarmActions: AppConfig ignores it until `resume`. */
  suspend(): Promise<void>;
  /** EnableAlarmActions. */
  resume(): Promise<void>;
}

/** The `<service>#flags` item with its compare-and-set version. */
export interface VersionedFeatureFlagRecord {
  readonly record: FeatureFlagRecord;
  readonly version: number;
}

/** Raised by `FeatureFlagRecordStore.write` when the record changed since it was read. */
export class ConcurrentFeatureFlagRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentFeatureFlagRecordError';
  }
}

/** The `<service>#flags` item of the release-state table. */
export interface FeatureFlagRecordStore {
  read(): Promise<VersionedFeatureFlagRecord | undefined>;
  /**
   * Write `record` if the stored version is still `expectedVersion` (undefined: none stored yet).
   *
   * @returns the new version
   * @throws ConcurrentFeatureFlagRecordError when it changed
   */
  write(record: FeatureFlagRecord, expectedVersion: number | undefined): Promise<number>;
}

/** Everything the flag engine reaches. */
export interface FeatureFlagPorts {
  readonly config: FeatureFlagConfigPort;
  readonly monitor: FeatureFlagMonitorPort;
  readonly records: FeatureFlagRecordStore;
  readonly clock: Clock;
}
