/**
 * What the feature-flag engine returns: the view model of `bluegreen flags <service>` and the results of `set` and
 * `kill`. Plain data, so the CLI renders it as text or prints it as JSON.
 */
import type { FeatureFlagChange, FeatureFlagMonitorSuspension } from '../../contract';
import type { ServedFlag } from './live';
import type { FlagDeployment, FlagDeploymentState } from './ports';

/** How a flag stands against its declaration, its expiry and what AppConfig serves. */
export type FeatureFlagStatus =
  /** Declared, live, before its expiry. */
  | 'ok'
  /** Past its expiry: remove the code path, the flag from the flags file, and deploy. */
  | 'debt'
  /** Declared, never deployed: apps see its default (from the agent, once a `flags set` deploys it). */
  | 'not-live'
  /** Live but no longer declared: dropped by the next `flags set` or `flags kill`. */
  | 'undeclared';

/** One flag, as `bluegreen flags <service>` lists it. */
export interface FeatureFlagView {
  readonly name: string;
  /** What AppConfig serves; null when the flag is not in the live version (or nothing is deployed). */
  readonly live: boolean | null;
  /** The declared default; null for an undeclared flag. */
  readonly default: boolean | null;
  readonly owner: string;
  /** `YYYY-MM-DD`, empty when unknown. */
  readonly created: string;
  /** `YYYY-MM-DD`, empty when unknown. */
  readonly expiry: string;
  /** Since `created`, milliseconds; null when unknown. */
  readonly ageMs: number | null;
  /** Until the end of its expiry day (negative once past), milliseconds; null when unknown. */
  readonly expiresInMs: number | null;
  readonly status: FeatureFlagStatus;
  readonly description: string;
}

/** A deployment, as the views show it. */
export interface FlagDeploymentView {
  readonly deploymentNumber: number;
  readonly state: FlagDeploymentState;
  readonly percentageComplete: number;
  /** The hosted version it deploys. */
  readonly version: string;
  /** ISO time; null when unknown. */
  readonly startedAt: string | null;
  readonly description: string | null;
}

/** `bluegreen flags <service>` of one Region. */
export interface FeatureFlagListing {
  /** ISO time of the reading. */
  readonly at: string;
  /** The deployment that holds the environment, if any. */
  readonly running: FlagDeploymentView | null;
  /**
   * A running deployment of the flags: the flags whose value in its version differs from the live one. Its version
   * reaches `running.percentageComplete` % of the instances already (BAKING: all of them).
   */
  readonly rollout: readonly { readonly flag: string; readonly enabled: boolean | null }[] | null;
  /** The version AppConfig serves (the newest COMPLETE deployment's); null: nothing deployed yet, apps use their defaults. */
  readonly liveVersion: string | null;
  /** The deployment that made it live. */
  readonly liveDeployment: FlagDeploymentView | null;
  /** The version the last `cdk deploy` created. */
  readonly declaredVersion: string;
  /** Declared flags in file order, then the undeclared live ones. */
  readonly flags: readonly FeatureFlagView[];
  readonly monitor: { readonly name: string; readonly state: string; readonly actionsEnabled: boolean };
  /** The kills holding the monitor's actions disabled (in progress, or dead: older than the longest kill). */
  readonly monitorSuspensions: readonly FeatureFlagMonitorSuspension[];
  /** The last few changes, newest first. */
  readonly changes: readonly FeatureFlagChange[];
}

/** How a `set` or `kill` ended. */
export type FeatureFlagChangeResultOutcome =
  /** The change is live (COMPLETE). */
  | 'complete'
  /** Nothing to deploy: what AppConfig serves already has the flag at that value. */
  | 'nothing-to-do'
  /** A monitor rolled the deployment back (set). */
  | 'rolled-back'
  /** Still deploying when the command stopped waiting (set: timeout or --no-wait). */
  | 'deploying'
  /** A dry run: it would deploy (`steps` says what). */
  | 'would-deploy'
  /** A kill that did not complete: a step failed or it was not COMPLETE in time. */
  | 'failed';

/** What `setFeatureFlag` or `killFeatureFlag` did, or (dry run) would do. */
export interface FeatureFlagChangeResult {
  readonly kind: 'set' | 'gradual' | 'kill';
  readonly flag: string;
  readonly enabled: boolean;
  readonly outcome: FeatureFlagChangeResultOutcome;
  readonly dryRun: boolean;
  /** What happened, or would, step by step, for the result's message. */
  readonly steps: readonly string[];
  /** The hosted version it deployed. */
  readonly version?: string;
  /** Its deployment, as last read. */
  readonly deployment?: FlagDeploymentView;
  /** kill: the deployment it stopped first (not one that ended on its own before the stop). */
  readonly stoppedDeployment?: FlagDeploymentView;
  /** kill: `stoppedDeployment` was BAKING, so it was stopped with AllowRevert (it ends ROLLED_BACK all the same). */
  readonly stoppedWithAllowRevert?: boolean;
  /** set: the monitor's actions were disabled (a kill died) and were enabled again first. */
  readonly resumedMonitor?: boolean;
  /** kill: whether the monitor's actions are enabled again at the end (false: enable them by hand). */
  readonly monitorResumed?: boolean;
  /** kill: the actions were left disabled because these other kills still hold them (the last one enables them). */
  readonly monitorHeldBy?: readonly FeatureFlagMonitorSuspension[];
  /** kill: its deployment still ran at the timeout: the monitor's actions stay disabled so AppConfig does not roll it back. */
  readonly stillDeploying?: boolean;
  /** set: kills that died holding the monitor (older than the longest kill), cleared first. */
  readonly clearedSuspensions?: readonly FeatureFlagMonitorSuspension[];
  /** Why it rolled back or failed. */
  readonly detail?: string;
  /** The error that failed it, for the CLI to explain (AWS errors); not serialised. */
  readonly error?: unknown;
  /** failed: the version AppConfig serves now and the flag's value in it (null: not in it or nothing live). */
  readonly served?: ServedFlag;
  /** The version that was live before, and the flag's value in it. */
  readonly before?: { readonly version: string | null; readonly value: boolean | null };
  /** What went wrong without changing the outcome (the record could not be written). */
  readonly warnings?: readonly string[];
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** The view of a deployment. */
export function deploymentView(d: FlagDeployment): FlagDeploymentView {
  return {
    deploymentNumber: d.deploymentNumber,
    state: d.state,
    percentageComplete: d.percentageComplete,
    version: d.configurationVersion,
    startedAt: d.startedAt !== undefined ? new Date(d.startedAt).toISOString() : null,
    description: d.description ?? null,
  };
}

/** `deployment 4 BAKING 100 % (version 7)`. */
export function describeDeployment(d: FlagDeploymentView | FlagDeployment): string {
  const version = 'version' in d ? d.version : d.configurationVersion;
  const why = d.description ? `: ${d.description}` : '';
  return `deployment ${d.deploymentNumber} ${d.state} ${Math.round(d.percentageComplete)} % (version ${version}${why})`;
}
