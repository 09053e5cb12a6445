/**
 * A release of a service with a standby Region: the primary first, with its gates and bakes, then the standby, each
 * Region gated on its own health and alarms by its own `ReleaseEngine`. A failure stops there and rolls back only the
 * Region that failed (its engine does); the outcome says which version each Region serves (the skew).
 *
 * Pure: each Region is a `RegionReleaseRunner` (the CLI builds them on the SDK adapters, tests on fakes).
 */
import type { DrPhase } from '../contract';
import { UsageError } from './errors';
import type { ReleaseOutcome } from './outcome';

/** A Region's part in the pair. */
export type StaggeredRole = 'primary' | 'standby';

/** One Region's release, as the staggered release drives it. */
export interface RegionReleaseRunner {
  /** The Region, e.g. `eu-west-1`. */
  readonly region: string;
  readonly role: StaggeredRole;
  /**
   * The image fingerprint the Region's live colour serves (its descriptor's `colours.<live>.image`), or undefined
   * when no colour holds all traffic or it cannot be read.
   */
  serving(): Promise<string | undefined>;
  /** The image fingerprint the idle colour (the one a release makes live) runs, or undefined when none is idle. */
  candidateImage(): Promise<string | undefined>;
  /** Run the Region's release engine: pre-flight, steps, bakes, promotion; rollback on a failed gate. */
  release(): Promise<ReleaseOutcome>;
}

/** The DR record as the release sees it: the newest generation among the Regions it reached. */
export interface DrRecordView {
  /** The record's phase; undefined when no Region has a record (never failed over: normal). */
  readonly phase?: DrPhase;
  /** Regions whose copy was read. */
  readonly readFrom: readonly string[];
  /** One line about the operation in flight, if any. */
  readonly operation?: string;
}

/** What the staggered release takes. */
export interface StaggeredReleaseInput {
  readonly service: string;
  /** The Regions to release, primary first. One Region alone with `--region-only`. */
  readonly regions: readonly RegionReleaseRunner[];
  /** Reads the DR record (both Regions' copies); a release refuses unless it is `normal`. */
  readonly drRecord: () => Promise<DrRecordView>;
  /**
   * Release the standby although its idle colour runs another image than the primary now serves (the fingerprints
   * differ, e.g. raw AMI ids, which are per Region). @default false
   */
  readonly allowImageMismatch?: boolean;
  /**
   * 0-based steps to pause before, as asked: refused (a Region's release must end before the next starts, so it
   * cannot wait for approval; each Region's engine also counts an inconclusive hook as failed).
   *
   * @default - no pause
   */
  readonly pauseBefore?: readonly number[];
  /** Told when a Region starts and ends. */
  readonly onRegion?: (event: { readonly region: string; readonly role: StaggeredRole; readonly phase: 'start' | 'end'; readonly message: string }) => void;
}

/** How one Region's part ended. */
export type RegionReleaseResult = 'released' | 'rolled-back' | 'refused' | 'failed' | 'preempted' | 'not-started';

/** One Region in the outcome. */
export interface RegionReleaseReport {
  readonly region: string;
  readonly role: StaggeredRole;
  readonly result: RegionReleaseResult;
  /** One line: the engine's message, or why it did not start. */
  readonly message: string;
  /** The engine's outcome, when it ran. */
  readonly outcome?: ReleaseOutcome;
  /** What the Region's live colour serves afterwards (undefined when unknown). */
  readonly serving?: string;
}

/**
 * How the staggered release ended:
 * - `released`: every Region released;
 * - `refused`: nothing changed anywhere (the DR record is not normal, or the first Region refused);
 * - `first-region-not-released`: the first Region rolled back or failed; the others were not touched;
 * - `skewed`: the first Region released, a later one did not (refused, rolled back or failed): the Regions serve
 *   different versions.
 */
export type StaggeredStatus = 'released' | 'refused' | 'first-region-not-released' | 'skewed';

/** The end of a staggered release. */
export interface StaggeredReleaseOutcome {
  readonly status: StaggeredStatus;
  readonly message: string;
  readonly regions: readonly RegionReleaseReport[];
  /** Whether the Regions' live colours serve different images afterwards. */
  readonly skew: boolean;
  /** Image each Region serves afterwards, by Region. */
  readonly versions: Readonly<Record<string, string | undefined>>;
  /** The Region that stopped the release, if one did. */
  readonly stoppedAt?: string;
}

/**
 * Release the Regions in order (primary first). Refuses, changing nothing, while the DR record is not `normal`: a
 * release during a failover would move the traffic DNS is failing over to, or a standby about to become primary.
 */
export async function staggeredRelease(input: StaggeredReleaseInput): Promise<StaggeredReleaseOutcome> {
  if (input.regions.length === 0) throw new Error('staggeredRelease: no Region to release');
  if ((input.pauseBefore?.length ?? 0) > 0) throw new UsageError('pauses are not supported with a standby Region yet; release without --pause-before');
  const dr = await input.drRecord();
  const phase = dr.phase ?? 'normal';
  if (phase !== 'normal') {
    const where = dr.readFrom.length ? ` (read from ${dr.readFrom.join(', ')})` : '';
    const op = dr.operation ? `; ${dr.operation}` : '';
    const message =
      `Release refused, nothing changed: the DR record of ${input.service} is ${phase}${where}${op}. ` +
      `Releases wait until it is normal again: finish with 'bluegreen dr failback ${input.service}' or 'bluegreen dr resume ${input.service}'.`;
    const untouched = await Promise.all(input.regions.map((r) => notStarted(r, `not started: DR record is ${phase}`, false)));
    return finish('refused', message, untouched, undefined);
  }

  const reports: RegionReleaseReport[] = [];
  for (const [i, runner] of input.regions.entries()) {
    const report = i === 0 ? await releaseRegion(input, runner) : await releaseLater(input, runner, reports[0]);
    reports.push(report);
    if (report.result !== 'released') {
      const rest = await Promise.all(input.regions.slice(i + 1).map((r) => notStarted(r, `not started: ${runner.region} was not released`, true)));
      const status: StaggeredStatus = i === 0 ? (report.result === 'refused' ? 'refused' : 'first-region-not-released') : 'skewed';
      return finish(status, stopMessage(input, status, report, rest), [...reports, ...rest], runner.region);
    }
  }
  const message =
    input.regions.length === 1
      ? `Released ${input.service} in ${input.regions[0].region} only (${input.regions[0].role}). ${reports[0].message}`
      : `Released ${input.service} in ${reports.map((r) => `${r.region} (${r.role})`).join(', then ')}.`;
  return finish('released', message, reports, undefined);
}

/** A later Region (the standby): only when its idle colour runs what the first Region now serves. */
async function releaseLater(input: StaggeredReleaseInput, runner: RegionReleaseRunner, first: RegionReleaseReport): Promise<RegionReleaseReport> {
  const [candidate, serving] = await Promise.all([runner.candidateImage(), runner.serving()]);
  const wanted = first.serving;
  if (!input.allowImageMismatch && wanted !== undefined && candidate !== wanted) {
    const runs = candidate === undefined ? 'has no idle colour' : `has ${candidate} on its idle colour`;
    const message =
      `${runner.region} (${runner.role}) ${runs}, not ${wanted}, which ${first.region} now serves: deploy the ${runner.role}'s stack with the same ` +
      `image, then run 'bluegreen release ${input.service} --region ${runner.region} --region-only' (or pass --allow-undeployed-image to release what it runs)`;
    return { region: runner.region, role: runner.role, result: 'refused', message, serving };
  }
  return releaseRegion(input, runner);
}

async function releaseRegion(input: StaggeredReleaseInput, runner: RegionReleaseRunner): Promise<RegionReleaseReport> {
  input.onRegion?.({ region: runner.region, role: runner.role, phase: 'start', message: `Releasing ${input.service} in ${runner.region} (${runner.role})` });
  const outcome = await runner.release();
  const result = resultOf(outcome);
  const serving = await servingOrUndefined(runner);
  input.onRegion?.({ region: runner.region, role: runner.role, phase: 'end', message: `${runner.region} (${runner.role}): ${result}` });
  return { region: runner.region, role: runner.role, result, message: outcome.message, outcome, serving };
}

/** What a Region serves, or undefined when it cannot be read (the outcome is reported either way). */
async function servingOrUndefined(runner: RegionReleaseRunner): Promise<string | undefined> {
  try {
    return await runner.serving();
  } catch {
    return undefined;
  }
}

/** The engine's outcome as a Region result. */
export function resultOf(outcome: ReleaseOutcome): RegionReleaseResult {
  switch (outcome.status) {
    case 'succeeded':
      return 'released';
    case 'rolled-back':
    case 'aborted':
      return 'rolled-back';
    case 'refused':
      return 'refused';
    case 'preempted':
      return outcome.state?.status === 'succeeded' ? 'released' : 'preempted';
    // (`awaiting-approval` cannot come from a Region's engine, which has an exclusion: it refuses pauses and counts an
    // inconclusive hook as failed. Were it to, the Region has not released: the next must not start.)
    default:
      return 'failed';
  }
}

/** A Region left alone; with `read`, what it serves (for the skew report). */
async function notStarted(runner: RegionReleaseRunner, message: string, read: boolean): Promise<RegionReleaseReport> {
  const serving = read ? await servingOrUndefined(runner) : undefined;
  return { region: runner.region, role: runner.role, result: 'not-started', message, ...(serving !== undefined ? { serving } : {}) };
}

function stopMessage(input: StaggeredReleaseInput, status: StaggeredStatus, report: RegionReleaseReport, rest: readonly RegionReleaseReport[]): string {
  const untouched = rest.length ? ` ${rest.map((r) => r.region).join(', ')} untouched.` : '';
  if (status === 'skewed') {
    return `${input.service} released in ${input.regions[0].region} only: ${report.region} (${report.role}) ${report.result}: ${report.message.replace(/\.$/, '')}.`;
  }
  return `${report.region} (${report.role}) ${report.result}: ${report.message.replace(/\.$/, '')}.${untouched}`;
}

function finish(
  status: StaggeredStatus,
  message: string,
  regions: readonly RegionReleaseReport[],
  stoppedAt: string | undefined,
): StaggeredReleaseOutcome {
  const versions: Record<string, string | undefined> = {};
  for (const r of regions) versions[r.region] = r.serving;
  const known = regions.filter((r) => r.serving !== undefined).map((r) => r.serving);
  const skew = new Set(known).size > 1;
  const skewNote = skew ? ` Version skew: ${regions.map((r) => `${r.region} serves ${r.serving ?? 'unknown'}`).join(', ')}.` : '';
  return { status, message: `${message}${skewNote}`, regions, skew, versions, ...(stoppedAt ? { stoppedAt } : {}) };
}
