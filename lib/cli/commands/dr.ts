import * as fs from 'fs';
import * as path from 'path';
import type { DisasterRecoveryDescriptor, ServiceDescriptor } from '../../contract';
import { UsageError, usageError } from '../../release';
import type { DrillReport, DrOutcome, DrPlan, DrResult } from '../../release/dr/types';
import { DrEventType } from '../../release/dr/events';
import type { DrLogger } from '../../release/dr/ports';
import { loadServiceDescriptor } from '../aws-access';
import { explainAwsError } from '../aws-errors';
import type { Command, CommandContext, FlagValues } from '../command';
import { DescriptorsRead, DrAccess, drAccessFor, DrEngineApi } from '../dr-access';
import { writeDrillReport } from '../dr-report-files';
import { buildDrView, renderDrStatus, renderPlan, renderTimeline } from '../dr-view';
import { humanDuration } from '../durations';
import { EXIT_CODES } from '../exit-codes';
import { durationFlag, stringFlag } from '../flags';
import { apiCallSummary } from '../output';
import { ownerId } from '../owner';
import { withRetryNotices } from '../retry-notices';

/** What `dr` does. */
export type DrAction = 'status' | 'failover' | 'failback' | 'drill' | 'resume';
const ACTIONS: readonly DrAction[] = ['status', 'failover', 'failback', 'drill', 'resume'];

/** What `dr <action>` was asked to do. */
export interface DrOptions {
  readonly action: DrAction;
  /** failover: a real outage, do not wait on the primary Region. */
  readonly outage: boolean;
  /** failover, failback, drill: serve the other side's version although it differs. */
  readonly allowSkew: boolean;
  /** failover, failback, drill: longest wait for healthy targets. */
  readonly healthyTimeoutMs?: number;
  /** failover, failback, drill, resume: time between polls while waiting (target health, the switch, DNS). */
  readonly pollMs: number;
  /** drill: how long to stay failed over. */
  readonly holdMs: number;
  /** drill: where the report files go. */
  readonly reportDir: string;
  /** resume: undo the interrupted operation instead of finishing it. */
  readonly undo: boolean;
  /** resume: take the operation over although its holder's heartbeat is younger than the lease. */
  readonly takeOver: boolean;
}

const HOLD_MS = { min: 0, max: 24 * 3_600_000, default: 5 * 60_000 };
const TIMEOUT_MS = { min: 10_000, max: 3_600_000 };
/**
 * Bounds and default of `--poll`. Every wait of a failover (healthy targets, the switch alarm, Route 53's answer, the
 * first success) notices its change up to one poll later: at the engine's 5 s default (DR_DEFAULTS.pollMs, which the
 * watcher keeps) the four waits would add up to 20 s to what AWS imposes, against the goal of under 5 s
 * (docs/BENCHMARKS.md). At 1 s each poll is at most four cheap reads.
 */
export const DR_POLL_MS = { min: 100, max: 20_000, default: 1_000 };
const DEFAULT_REPORT_DIR = 'dr-reports';

/** The flags each action takes; any other action's flag is refused rather than ignored. */
const ACTION_FLAGS: Readonly<Record<DrAction, readonly string[]>> = {
  status: [],
  failover: ['outage', 'allow-skew', 'timeout', 'poll'],
  failback: ['allow-skew', 'timeout', 'poll'],
  drill: ['allow-skew', 'timeout', 'poll', 'hold', 'report-dir'],
  resume: ['undo', 'take-over', 'poll'],
};

/**
 * `dr <status|failover|failback|drill|resume> <service>`: the disaster-recovery pair of a service (a primary and a
 * standby Region, docs/DISASTER-RECOVERY.md). Exit codes: 0 done, 1 undone (DNS back where it was), 3 refused with
 * nothing changed, 4 suspended (resume), 5 AWS error, 6 failed part way (dr status, then dr resume).
 */
export const dr: Command<DrOptions> = {
  name: 'dr',
  summary: 'disaster recovery across two Regions: status, failover, failback, drill (failover, hold, failback, report), resume',
  actions: ACTIONS,
  flags: {
    outage: { type: 'boolean', help: 'failover: the primary Region is down; do not read, lock or wait on anything in it' },
    'allow-skew': { type: 'boolean', help: 'failover, failback, drill: serve the other Region although it runs another version' },
    timeout: { type: 'string', example: '10m', help: 'failover, failback, drill: longest wait for healthy targets, 10s to 1h (default 10m)' },
    poll: { type: 'string', example: '1s', help: 'failover, failback, drill, resume: how often to poll target health, the switch alarm and DNS while waiting, 100ms to 20s (default 1s)' },
    hold: { type: 'string', example: '10m', help: 'drill: how long to stay failed over, verifying, before failing back, up to 24h (default 5m)' },
    'report-dir': { type: 'string', example: 'dr-reports', help: 'drill: where <service>-<drillId>.json and .md go (default ./dr-reports)' },
    undo: { type: 'boolean', help: 'resume: undo the interrupted operation instead of finishing it' },
    'take-over': { type: 'boolean', help: 'resume: take the operation over although its holder wrote a heartbeat in the last 2 minutes' },
  },
  parse: (values, action) => parseDr(values, action as DrAction),
  run: (ctx, options) => withRetryNotices(ctx, () => runDr(ctx, options)),
};

function parseDr(values: FlagValues, action: DrAction): DrOptions {
  for (const flag of Object.keys(dr.flags)) {
    if (values[flag] !== undefined && !ACTION_FLAGS[action].includes(flag)) {
      const takers = ACTIONS.filter((a) => ACTION_FLAGS[a].includes(flag)).join(', ');
      const problem = `does not apply to dr ${action}; it is for dr ${takers}.`;
      const value = stringFlag(values, flag);
      throw value === undefined ? new UsageError(`--${flag}: ${problem}`) : usageError(`--${flag}`, problem, value);
    }
  }
  if (values['dry-run'] === true && action === 'resume') {
    throw new UsageError("--dry-run: does not apply to dr resume: run 'bluegreen dr status <service>' to see the operation it would continue.");
  }
  const reportDir = stringFlag(values, 'report-dir', { nonEmpty: true }) ?? DEFAULT_REPORT_DIR;
  return {
    action,
    outage: values.outage === true,
    allowSkew: values['allow-skew'] === true,
    healthyTimeoutMs: durationFlag(values, 'timeout', TIMEOUT_MS.min, TIMEOUT_MS.max),
    pollMs: durationFlag(values, 'poll', DR_POLL_MS.min, DR_POLL_MS.max) ?? DR_POLL_MS.default,
    holdMs: durationFlag(values, 'hold', HOLD_MS.min, HOLD_MS.max) ?? HOLD_MS.default,
    reportDir,
    undo: values.undo === true,
    takeOver: values['take-over'] === true,
  };
}

/** A refusal found before any change: exit 3 with one line. */
class DrRefusal extends Error {}

/** The Region the command was pointed at does not answer: in an outage, the way on is the standby's Region. */
class RegionUnreachable extends Error {
  constructor(public readonly explained: string) {
    super(explained);
  }
}

async function runDr(ctx: CommandContext, options: DrOptions): Promise<number> {
  const access = drAccessFor(ctx);
  try {
    if (options.action === 'drill' && !ctx.global.dryRun) checkReportDir(ctx, options.reportDir);
    const engine = await engineFor(ctx, access, options);
    return await ACTION_RUNS[options.action](ctx, engine, options, access);
  } catch (e) {
    if (e instanceof RegionUnreachable) return outageHint(ctx, options, e);
    if (!(e instanceof DrRefusal)) throw e;
    return ctx.out.result({ status: 'refused', exitCode: EXIT_CODES.refused, message: e.message, apiCalls: apiCallSummary(ctx.clients.counter) });
  } finally {
    access.close();
  }
}

/**
 * The DR engine over both Regions. The descriptor of the Region the command runs in names the pair; the engine takes
 * the standby's section, so with the primary given the standby's descriptor is read too (with the standby given,
 * nothing of the primary's is read here: an outage failover needs only the standby).
 */
async function engineFor(ctx: CommandContext, access: DrAccess, options: DrOptions): Promise<DrEngineApi> {
  const { global, out } = ctx;
  const here = await loadServiceDescriptor(ctx).catch((e: unknown) => {
    const explained = explainAwsError(e, { profile: global.profile, region: out.region, env: ctx.io.env });
    throw explained?.problem === 'unreachable' ? new RegionUnreachable(explained.message) : e;
  });
  const pair = here.disasterRecovery;
  if (!pair) {
    throw new DrRefusal(
      `${global.service} has no disaster recovery in ${here.region}: its descriptor has no disasterRecovery section. ` +
        `Give it a standby Region (BlueGreenService disasterRecovery: RegionRole, and a RegionalFailover in each Region's stack; docs/DISASTER-RECOVERY.md), deploy both, then run this again.`,
    );
  }
  if (options.outage && pair.role === 'primary' && options.action === 'failover') {
    throw new UsageError(
      `--outage: ${here.region} is the primary of ${global.service}; an outage failover runs against the standby alone. Run it with --region ${pair.standbyRegion}.`,
    );
  }
  const descriptors: DescriptorsRead = pair.role === 'standby' ? { standby: here } : { primary: here, standby: await access.descriptor(pair.standbyRegion) };
  const standbyDr = standbySection(descriptors.standby!, pair);
  return access.drEngine(
    {
      service: global.service,
      owner: ownerId(),
      dr: standbyDr,
      ...(options.healthyTimeoutMs !== undefined ? { healthyTimeoutMs: options.healthyTimeoutMs } : {}),
      pollMs: options.pollMs,
    },
    ctx.global.json ? out.logger : peopleLogger(out.logger),
    descriptors,
  );
}

/**
 * Progress for people: each record read and write (a dozen per drill, with generations) is bookkeeping, not news;
 * `--json` keeps every event.
 */
function peopleLogger(logger: DrLogger): DrLogger {
  const quiet: string[] = [DrEventType.RECORD_READ, DrEventType.RECORD_WRITTEN];
  return { event: (e) => (quiet.includes(e.type) ? undefined : logger.event(e)) };
}

/**
 * The descriptor's Region did not answer (exit 5). When that Region is the primary and it is down, the way on is the
 * standby's: say so, since the standby's Region cannot be read from here.
 */
function outageHint(ctx: CommandContext, options: DrOptions, e: RegionUnreachable): number {
  const service = ctx.global.service;
  const next = options.action === 'failover' || options.action === 'status' || options.action === 'resume'
    ? [`bluegreen dr ${options.action} ${service}${options.action === 'failover' ? ' --outage' : ''} --region <the standby's Region>`]
    : [];
  const message = `${e.explained.replace(/,? then run the command again\.$/, '.')} If ${ctx.out.region ?? 'this Region'} is down, run bluegreen dr from the standby's Region: nothing there waits on this one.`;
  return ctx.out.result({ status: 'error', exitCode: EXIT_CODES['aws-error'], message, problem: 'unreachable', ...(next.length ? { next } : {}), apiCalls: apiCallSummary(ctx.clients.counter) });
}

/** The standby's `disasterRecovery`, checked against the section that named it. */
function standbySection(standby: ServiceDescriptor, named: DisasterRecoveryDescriptor): DisasterRecoveryDescriptor {
  const s = standby.disasterRecovery;
  if (!s || s.role !== 'standby' || s.primaryRegion !== named.primaryRegion) {
    const has = s ? `a ${s.role} section naming primary ${s.primaryRegion}` : 'no disasterRecovery section';
    throw new DrRefusal(
      `${standby.service}'s descriptor in ${standby.region} has ${has}, but ${named.primaryRegion} names ${standby.region} as its standby. Deploy the standby's stack (RegionRole.standby), then run this again.`,
    );
  }
  return s;
}

type ActionRun = (ctx: CommandContext, engine: DrEngineApi, options: DrOptions, access: DrAccess) => Promise<number>;

const ACTION_RUNS: Readonly<Record<DrAction, ActionRun>> = {
  status: async (ctx, engine) => {
    const view = buildDrView(await engine.status(), Date.now());
    if (ctx.global.json) ctx.out.statusObject(view);
    else renderDrStatus(view).forEach((l) => ctx.out.line(l));
    return EXIT_CODES.done;
  },
  failover: async (ctx, engine, o) => {
    const request = { trigger: 'cli' as const, outage: o.outage, allowSkew: o.allowSkew };
    if (ctx.global.dryRun) return printPlan(ctx, await engine.planFailover(request));
    return finishOutcome(ctx, await engine.failover(request));
  },
  failback: async (ctx, engine, o) => {
    if (ctx.global.dryRun) return printPlan(ctx, await engine.planFailback({ allowSkew: o.allowSkew }));
    return finishOutcome(ctx, await engine.failback({ allowSkew: o.allowSkew }));
  },
  drill: async (ctx, engine, o, access) => {
    if (ctx.global.dryRun) {
      const plan = await engine.planFailover({ trigger: 'cli', outage: false, allowSkew: o.allowSkew });
      const hold = { action: 'hold', detail: `stay failed over for ${humanDuration(o.holdMs)}, verifying requests through the failover record` };
      const back = { action: 'failback', detail: `fail back to the primary, then write the report into ${o.reportDir}` };
      return printPlan(ctx, { ...plan, steps: plan.refused ? plan.steps : [...plan.steps, hold, back] }, 'drill');
    }
    return finishDrill(ctx, engine, access, await engine.drill({ holdMs: o.holdMs, allowSkew: o.allowSkew }), o.reportDir);
  },
  resume: async (ctx, engine, o) => finishOutcome(ctx, await engine.resume({ undo: o.undo, takeOver: o.takeOver })),
};

/** `--dry-run`: the plan, or why it would be refused. Changes nothing. */
function printPlan(ctx: CommandContext, plan: DrPlan, kind: string = plan.kind): number {
  const { out, global, clients } = ctx;
  out.line(`Dry run, nothing was changed. Plan to ${kind} ${global.service}:`);
  renderPlan(plan).forEach((l) => out.line(l));
  const message = plan.refused ? `Dry run: ${kind} would be refused: ${plan.refused}` : `Dry run: ${kind} would take the ${plan.steps.length} step(s) above.`;
  return out.result({
    status: 'dry-run',
    exitCode: plan.refused ? EXIT_CODES.refused : EXIT_CODES.done,
    message,
    dryRun: true,
    plan,
    apiCalls: apiCallSummary(clients.counter),
  });
}

/** The exit code of a DR result: done 0, undone 1, refused 3, suspended 4, failed 6. */
export function exitCodeForDrResult(result: DrResult): number {
  switch (result) {
    case 'done':
      return EXIT_CODES.done;
    case 'undone':
      return EXIT_CODES['rolled-back'];
    case 'refused':
      return EXIT_CODES.refused;
    case 'suspended':
      return EXIT_CODES.paused;
    default:
      return EXIT_CODES.failed;
  }
}

function nextFor(service: string, result: DrResult): string[] | undefined {
  switch (result) {
    case 'failed':
      return [`bluegreen dr status ${service}`, `bluegreen dr resume ${service}`, `bluegreen dr resume ${service} --undo`];
    case 'suspended':
      return [`bluegreen dr resume ${service}`];
    default:
      return undefined;
  }
}

function finishOutcome(ctx: CommandContext, outcome: DrOutcome): number {
  const { out, global, clients } = ctx;
  if (outcome.timeline.length) {
    out.line('Timeline:');
    renderTimeline(outcome.timeline).forEach((l) => out.line(l));
  }
  return out.result({
    status: outcome.result,
    exitCode: exitCodeForDrResult(outcome.result),
    message: outcome.message,
    next: nextFor(global.service, outcome.result),
    operation: outcome.kind,
    phase: outcome.phase,
    ...(outcome.operationId ? { operationId: outcome.operationId } : {}),
    timeline: outcome.timeline,
    apiCalls: apiCallSummary(clients.counter),
  });
}

/**
 * The drill's report files, its timeline and its verdict. A drill that did not pass exits 1 when the pair is back to
 * normal (its failover or failback was undone), 6 when it is not (dr status, then dr resume).
 */
async function finishDrill(ctx: CommandContext, engine: DrEngineApi, access: DrAccess, report: DrillReport, reportDir: string): Promise<number> {
  const { out, global, clients, io } = ctx;
  const files = writeDrillReport(report, await access.renderDrillMarkdown(report), reportDir, io.cwd);
  out.line('Timeline:');
  renderTimeline(report.timeline).forEach((l) => out.line(l));
  out.line(`Report: ${files.markdown} and ${files.json}`);
  const passed = report.outcome === 'passed';
  const phase = passed ? 'normal' : ((await engine.status()).record?.phase ?? 'normal');
  const recovery = report.recoveryMs !== undefined ? `client-observed recovery ${humanDuration(report.recoveryMs)}` : 'recovery not reached';
  const worst = `DNS worst case ${humanDuration(report.worstCaseDnsSeconds * 1000)}`;
  const message = passed
    ? `Drill ${report.drillId} of ${global.service} passed: ${recovery} (${worst}); back on ${report.primaryRegion}. Left running: ${report.leftRunning}.`
    : `Drill ${report.drillId} of ${global.service} ${report.outcome}; ${recovery}; the pair is ${phase}.`;
  const exitCode = passed ? EXIT_CODES.done : phase === 'normal' ? EXIT_CODES['rolled-back'] : EXIT_CODES.failed;
  return out.result({
    status: passed ? 'passed' : 'failed',
    exitCode,
    message,
    next: exitCode === EXIT_CODES.failed ? [`bluegreen dr status ${global.service}`, `bluegreen dr resume ${global.service}`] : undefined,
    drillId: report.drillId,
    phase,
    recoveryMs: report.recoveryMs ?? null,
    worstCaseDnsSeconds: report.worstCaseDnsSeconds,
    reports: files,
    apiCalls: apiCallSummary(clients.counter),
  });
}

/** The report directory must be writable before a drill starts: a drill whose report is lost has to be run again. */
function checkReportDir(ctx: CommandContext, dir: string): void {
  const absolute = path.resolve(ctx.io.cwd, dir);
  try {
    fs.mkdirSync(absolute, { recursive: true });
    fs.accessSync(absolute, fs.constants.W_OK);
  } catch (e) {
    throw usageError('--report-dir', `cannot write the drill report there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a writable directory.`, dir);
  }
}
