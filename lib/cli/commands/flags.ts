import type { FeatureFlagsDescriptor, ServiceDescriptor } from '../../contract';
import { FEATURE_FLAG_KILL_TIMEOUT_MAX_MS, featureFlagNameProblems, UndeclaredFeatureFlagError } from '../../contract';
import { formatDuration, UsageError, usageError } from '../../release';
import type { FeatureFlagPorts } from '../../release/feature-flags/ports';
import { FeatureFlagRefusal } from '../../release/feature-flags/refusal';
import type { FeatureFlagChangeResult } from '../../release/feature-flags/types';
import { describeDeployment } from '../../release/feature-flags/types';
import { describeServed } from '../../release/feature-flags/live';
import { FEATURE_FLAG_STALE_HOLDER_MS } from '../../release/feature-flags/record';
import { featureFlagPorts, loadServiceDescriptor } from '../aws-access';
import { explainAwsError } from '../aws-errors';
import type { Command, CommandContext, FlagValues } from '../command';
import { drAccessFor } from '../dr-access';
import { EXIT_CODES } from '../exit-codes';
import { renderFeatureFlags, FeatureFlagsView } from '../feature-flags-view';
import { durationFlag, stringFlag } from '../flags';
import { apiCallSummary } from '../output';
import { actorId } from '../owner';
import { withRetryNotices } from '../retry-notices';

/** What `flags` does. */
export type FlagsAction = 'list' | 'set' | 'kill';
const ACTIONS: readonly FlagsAction[] = ['list', 'set', 'kill'];

/** What `flags [<action>] <service> [<flag> [on|off]]` was asked to do. */
export interface FlagsOptions {
  readonly action: FlagsAction;
  /** set, kill: the flag. */
  readonly flag?: string;
  /** set: on (true) or off. */
  readonly enabled?: boolean;
  /** set: deploy with the gradual strategy. */
  readonly gradual?: boolean;
  /** set, kill: why (required for kill). */
  readonly reason?: string;
  /** set: wait for the deployment to end. */
  readonly wait?: boolean;
  /** set, kill: longest wait, ms. */
  readonly timeoutMs?: number;
}

/**
 * `--timeout` bounds and defaults: a kill must be quick or fail loudly (at most FEATURE_FLAG_KILL_TIMEOUT_MAX_MS, so a
 * monitor suspension older than that is a dead kill's); a gradual set may take its strategy's time.
 */
const TIMEOUT_MS = { min: 10_000, max: 24 * 3_600_000, killMax: FEATURE_FLAG_KILL_TIMEOUT_MAX_MS, set: 30 * 60_000, kill: 5 * 60_000 };

/** The flags each action takes; another action's flag is refused rather than ignored. */
const ACTION_FLAGS: Readonly<Record<FlagsAction, readonly string[]>> = {
  list: [],
  set: ['gradual', 'reason', 'no-wait', 'timeout'],
  kill: ['reason', 'timeout'],
};

/**
 * `flags <service>`, `flags set <service> <flag> on|off`, `flags kill <service> <flag> --reason "..."`: the service's
 * feature flags in AWS AppConfig (declared in flags/<service>.json, deployed by these commands only).
 */
export const flags: Command<FlagsOptions> = {
  name: 'flags',
  summary: 'feature flags (AWS AppConfig): list them (live value, owner, expiry, debt), set one on or off, kill one (the kill switch)',
  actions: ACTIONS,
  defaultAction: 'list',
  operands: { set: ['flag', 'value'], kill: ['flag'] },
  usage: [
    'bluegreen flags <service> [flags]',
    'bluegreen flags set <service> <flag> on|off [--gradual] [--reason "..."] [--no-wait] [--timeout 30m] [--dry-run] [flags]',
    'bluegreen flags kill <service> <flag> --reason "..." [--timeout 5m] [--dry-run] [flags]',
  ],
  flags: {
    gradual: { type: 'boolean', help: "set: deploy with the service's gradual strategy (linear, monitored, baked) instead of all at once" },
    reason: { type: 'string', example: '"5xx on checkout"', help: 'set, kill: why, recorded in the flags record and the version (required for kill)' },
    'no-wait': { type: 'boolean', help: 'set: return once the deployment started; bluegreen flags <service> follows it (not for a service with a standby Region)' },
    timeout: {
      type: 'string',
      example: '30m',
      help: `set, kill: longest wait for the deployment, 10s to 24h for set (default ${formatDuration(TIMEOUT_MS.set)}), 10s to ${formatDuration(TIMEOUT_MS.killMax)} for kill (default ${formatDuration(TIMEOUT_MS.kill)})`,
    },
  },
  details: [
    'Actions:',
    '  (none), list  every flag: live value (the COMPLETE version), default, owner, age, expiry, status (ok, debt:',
    '                past expiry, not-live: never deployed, undeclared: live but no longer declared); the debt and',
    '                how to clear it; the running deployment and what it already serves (BAKING: every instance);',
    '                the monitor and the kills holding its actions disabled; recent changes. A service with a',
    '                standby Region: both Regions (one that cannot be read is named, the other shown).',
    '  set           deploy a new version with the flag on or off: all at once (AppConfig.AllAtOnce, 10 minutes',
    '                monitored bake) or --gradual; the monitor (either colour\'s gate in ALARM) rolls it back.',
    '                Refused while another deployment runs or a kill holds the monitor. Standby Region: primary',
    '                first, then standby (waits for each; --no-wait is refused).',
    '  kill          the kill switch: disable the monitor\'s actions, stop any running deployment (a BAKING one with',
    '                AllowRevert; another kill\'s deployment is waited for, never stopped), deploy the flag off at',
    '                once (kill strategy, no bake), enable the monitor\'s actions again once no other kill holds',
    '                them. Both Regions at once; one that cannot be reached does not stop the other. Needs the',
    '                flags record (<service>#flags): it will not run untraced.',
    '  --dry-run     (set, kill) say what would happen; change nothing.',
    '',
    'Who: the record and the version name BLUEGREEN_ACTOR when it is set (a pipeline\'s id, your name), else',
    '<os user>@<host>.',
    '',
    'Exit codes:',
    '  0  done: listed, set (COMPLETE, or started with --no-wait), killed, nothing to do, a dry run',
    '  1  set: rolled back by the monitor (AppConfig\'s reason in the message); the previous version is served',
    '  2  usage: a bad flag name (the naming convention <kind>-<words>), a flag that is not declared (the message',
    '     names the declared ones), on|off missing, kill without --reason, set --no-wait with a standby Region;',
    '     nothing was changed',
    '  3  refused, nothing changed: a deployment is running (wait, or flags kill), a kill is in progress (set),',
    '     or the service has no feature flags (declare them with FeatureFlags on its BlueGreenService, cdk deploy);',
    '     also a set refused after 3 attempts, or because a kill began as it started: its own deployment was',
    '     started and stopped, nothing of it served',
    '  4  set: still deploying at --timeout; it goes on (bluegreen flags <service> follows it)',
    '  5  AWS error: credentials, endpoint, throttling or access denied; the message says the fix (list, kill:',
    '     only when no Region could be reached)',
    '  6  kill: did not complete in a Region (or could not reach it), or is still deploying at --timeout; the',
    '     message says what AppConfig serves there and what to run next. set: its own deployment had to be',
    '     stopped (the flags changed under it, a kill began) but could not be stopped in time, or completed',
    '     before the stop; the message says what to look at',
    '  7  set, standby Region: the primary changed but the standby did not (refused, failed, rolled back, or still',
    '     deploying at --timeout): the Regions differ; the message names what brings them in step',
  ],
  parse: (values, action, operands) => parseFlags(values, action as FlagsAction, operands ?? []),
  run: (ctx, options) => withRetryNotices(ctx, () => runFlags(ctx, options)),
};

function parseFlags(values: FlagValues, action: FlagsAction, operands: readonly string[]): FlagsOptions {
  for (const flag of Object.keys(flags.flags)) {
    if (values[flag] !== undefined && !ACTION_FLAGS[action].includes(flag)) {
      const takers = ACTIONS.filter((a) => ACTION_FLAGS[a].includes(flag)).join(', ');
      const problem = `does not apply to flags ${action}; it is for flags ${takers}.`;
      const value = stringFlag(values, flag);
      throw value === undefined ? new UsageError(`--${flag}: ${problem}`) : usageError(`--${flag}`, problem, value);
    }
  }
  if (action === 'list') return { action };
  const flag = operands[0];
  const problems = featureFlagNameProblems(flag, '<flag>');
  if (problems.length) throw new UsageError(`${problems[0]}. 'bluegreen flags <service>' lists the declared flags.`);
  const reason = stringFlag(values, 'reason');
  if (reason !== undefined && reason.trim() === '') throw usageError('--reason', 'must say why.', reason);
  const timeoutMs = durationFlag(values, 'timeout', TIMEOUT_MS.min, action === 'kill' ? TIMEOUT_MS.killMax : TIMEOUT_MS.max);
  if (action === 'kill') {
    if (reason === undefined) throw new UsageError(`flags kill needs --reason "...": why the flag is killed, recorded for whoever turns it back on, e.g. bluegreen flags kill web ${flag} --reason "5xx on checkout".`);
    return { action, flag, reason, timeoutMs: timeoutMs ?? TIMEOUT_MS.kill };
  }
  const value = operands[1];
  if (value !== 'on' && value !== 'off') throw usageError('<value>', `must be on or off, e.g. bluegreen flags set web ${flag} on.`, value);
  return {
    action,
    flag,
    enabled: value === 'on',
    gradual: values.gradual === true,
    ...(reason !== undefined ? { reason } : {}),
    wait: values['no-wait'] !== true,
    timeoutMs: timeoutMs ?? TIMEOUT_MS.set,
  };
}

/** One Region's flags: its descriptor's section and the engine's ports there. */
interface Target {
  readonly region: string;
  readonly section: FeatureFlagsDescriptor;
  readonly ports: FeatureFlagPorts;
  /** Before each progress line: the Region, for a service in two. */
  readonly prefix: string;
}

async function runFlags(ctx: CommandContext, options: FlagsOptions): Promise<number> {
  const access = drAccessFor(ctx);
  try {
    const regions = await regionsOf(ctx, await loadServiceDescriptor(ctx), (region) => access.clientsFor(region), (region) => access.descriptor(region));
    if (options.action === 'kill') return await kill(ctx, regions, options);
    if (options.action === 'list') return await list(ctx, regions);
    if (regions.length > 1 && options.wait === false) {
      throw new UsageError(
        `--no-wait: not for ${ctx.global.service}, which has a standby Region: the standby is changed only after the primary completes, so the command must wait. Run it without --no-wait.`,
      );
    }
    const unreachable = regions.find((r) => !r.target);
    // Both Regions or neither: a set never starts in one Region it cannot follow into the other.
    if (unreachable) throw unreachable.error;
    return await set(ctx, regions.map((r) => r.target!), options);
  } catch (e) {
    if (e instanceof FeatureFlagRefusal) return refused(ctx, e.message);
    if (e instanceof UndeclaredFeatureFlagError) throw new UsageError(e.message);
    throw e;
  } finally {
    access.close();
  }
}

/** One Region of the service: its target, or why it could not be reached. */
interface RegionTarget {
  readonly region: string;
  readonly target?: Target;
  readonly error?: unknown;
}

/**
 * The Regions a flag change reaches: the descriptor's, and for a disaster-recovery pair the other one too (each has
 * its own AppConfig), primary first. A Region whose descriptor cannot be read, or has no feature flags
 * (FeatureFlagRefusal), is returned with its error: a kill still runs in the other.
 */
async function regionsOf(
  ctx: CommandContext,
  here: ServiceDescriptor,
  clientsFor: (region: string) => CommandContext['clients'],
  descriptorIn: (region: string) => Promise<ServiceDescriptor>,
): Promise<RegionTarget[]> {
  const dr = here.disasterRecovery;
  const regions = dr ? [dr.primaryRegion, dr.standbyRegion] : [here.region];
  const settled = await Promise.allSettled(
    regions.map(async (region): Promise<Target> => {
      const d = region === here.region ? here : await descriptorIn(region);
      if (!d.featureFlags) throw new FeatureFlagRefusal(notConfigured(d));
      const ports = await featureFlagPorts(ctx, d, d.region === here.region ? ctx.clients : clientsFor(d.region));
      return { region: d.region, section: d.featureFlags, ports, prefix: dr ? `${d.region}: ` : '' };
    }),
  );
  return settled.map((r, i) => (r.status === 'fulfilled' ? { region: regions[i], target: r.value } : { region: regions[i], error: r.reason }));
}

/** Why a service without `featureFlags` has no flags, and the fix. */
function notConfigured(d: ServiceDescriptor): string {
  return (
    `${d.service} has no feature flags in ${d.region}: its descriptor has no featureFlags section. ` +
    `Declare them with FeatureFlags on its BlueGreenService (a flags/${d.service}.json file) and cdk deploy${d.disasterRecovery ? ' in both Regions' : ''}, then run this again.`
  );
}

function refused(ctx: CommandContext, message: string): number {
  return ctx.out.result({ status: 'refused', exitCode: EXIT_CODES.refused, message, apiCalls: apiCallSummary(ctx.clients.counter) });
}

/** ` (12 AWS API calls, 4 changing)`. */
function callsNote(ctx: CommandContext): string {
  const calls = apiCallSummary(ctx.clients.counter);
  return calls.total ? ` (${calls.total} AWS API call${calls.total === 1 ? '' : 's'}, ${calls.mutating} changing)` : '';
}

/** An error as one sentence, with the fix when it is an AWS error this CLI knows. */
function explain(ctx: CommandContext, region: string, e: unknown): string {
  return explainAwsError(e, { profile: ctx.global.profile, region, env: ctx.io.env })?.message ?? (e as Error)?.message ?? String(e);
}

async function list(ctx: CommandContext, regionTargets: readonly RegionTarget[]): Promise<number> {
  const { listFeatureFlags } = await import('../../release/feature-flags/list');
  const settled = await Promise.allSettled(
    regionTargets.map(async (r) => {
      if (!r.target) throw r.error;
      return { region: r.region, ...(await listFeatureFlags(r.target.ports, r.target.section, r.target.ports.clock.now())) };
    }),
  );
  const regions = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const unreadable = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ region: regionTargets[i].region, error: r.reason as unknown }] : []));
  // Nothing to show: the error of the (first) Region decides the exit code (5 for AWS, 3 for no feature flags).
  if (!regions.length) throw unreadable[0].error;
  for (const u of unreadable) {
    ctx.out.warn(`the flags of ${ctx.global.service} in ${u.region} could not be read: ${explain(ctx, u.region, u.error)} The other Region is shown.`);
  }
  const view: FeatureFlagsView = {
    service: ctx.global.service,
    regions,
    ...(unreadable.length ? { unreadable: unreadable.map((u) => ({ region: u.region, error: explain(ctx, u.region, u.error) })) } : {}),
  };
  for (const r of regions) {
    if (!r.monitor.actionsEnabled) {
      const held = r.monitorSuspensions.length ? ` (held by ${r.monitorSuspensions.map((h) => `a kill of ${h.flag} by ${h.by} since ${h.since}`).join(', ')})` : '';
      ctx.out.warn(
        `the actions of monitor ${r.monitor.name} in ${r.region} are DISABLED${held}: ` +
          `AppConfig will not roll back a bad flag change. The next bluegreen flags set enables them once no kill is in progress, or: aws cloudwatch enable-alarm-actions --alarm-names ${r.monitor.name} --region ${r.region}`,
      );
    }
  }
  if (ctx.global.json) ctx.out.statusObject(view);
  else renderFeatureFlags(view).forEach((l) => ctx.out.line(l));
  return EXIT_CODES.done;
}

async function set(ctx: CommandContext, targets: readonly Target[], options: FlagsOptions): Promise<number> {
  const { setFeatureFlag, runningRefusal } = await import('../../release/feature-flags/set');
  const { runningDeployment } = await import('../../release/feature-flags/live');
  const { global, out } = ctx;
  const flag = options.flag!;
  const value = options.enabled ? 'on' : 'off';
  const by = actorId(ctx.io.env);
  if (targets.length > 1) {
    // Both Regions, or neither: refuse before changing anything if either has a deployment running or a kill in
    // progress (what would refuse the standby once the primary changed).
    const { holdersOf, isStaleHolder } = await import('../../release/feature-flags/record');
    const state = await Promise.all(
      targets.map(async (t) => {
        const [deployments, stored] = await Promise.all([t.ports.config.listDeployments(), t.ports.records.read()]);
        return { t, d: runningDeployment(deployments), kills: holdersOf(stored?.record).filter((h) => !isStaleHolder(h, t.ports.clock.now())) };
      }),
    );
    const busy = state.find((r) => r.d);
    if (busy) throw new FeatureFlagRefusal(`${busy.t.region}: ${runningRefusal(global.service, flag, busy.d!)}. Nothing was changed in either Region.`);
    const killing = state.find((r) => r.kills.length);
    if (killing) {
      const k = killing.kills[0];
      throw new FeatureFlagRefusal(`${killing.t.region}: a kill is in progress by ${k.by} since ${k.since} (of ${k.flag}): wait for it (bluegreen flags ${global.service}). Nothing was changed in either Region.`);
    }
  }
  const results: { region: string; result: FeatureFlagChangeResult }[] = [];
  /** A Region after the first that threw (refused, undeclared, AWS) once the first had changed. */
  let standbyError: { region: string; error: unknown } | undefined;
  for (const t of targets) {
    try {
      const result = await setFeatureFlag(t.ports, t.section, {
        service: global.service,
        flag,
        enabled: options.enabled!,
        gradual: options.gradual === true,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        by,
        wait: options.wait !== false,
        timeoutMs: options.timeoutMs!,
        dryRun: global.dryRun,
        logger: out.logger,
        prefix: t.prefix,
      });
      results.push({ region: t.region, result });
      // A Region that did not take the change stops the rollout: the standby is not changed after a failed primary.
      if (!['complete', 'nothing-to-do', 'would-deploy'].includes(result.outcome)) break;
    } catch (e) {
      if (!results.some((r) => r.result.outcome === 'complete')) throw e;
      standbyError = { region: t.region, error: e };
      break;
    }
  }
  for (const { result } of results) for (const w of result.warnings ?? []) out.warn(w);
  const changed = results.filter((r) => r.result.outcome === 'complete').map((r) => r.region);
  const behind = targets
    .map((t) => t.region)
    .filter((region) => {
      const r = results.find((x) => x.region === region);
      return !r || !['complete', 'nothing-to-do', 'would-deploy'].includes(r.result.outcome);
    });
  const skewed = !global.dryRun && targets.length > 1 && changed.length > 0 && behind.length > 0;
  const worst = skewed ? EXIT_CODES.skewed : results.map((r) => setExit(r.result, options)).reduce((a, b) => Math.max(a, b), 0);
  const sentences = results.map(({ region, result }) => `${targets.length > 1 ? `${region}: ` : ''}${setMessage(global.service, result, options)}`);
  if (standbyError) {
    const e = standbyError.error;
    const why = e instanceof FeatureFlagRefusal || e instanceof UndeclaredFeatureFlagError ? e.message : explain(ctx, standbyError.region, e);
    sentences.push(`${standbyError.region}: not changed: ${why}.`);
  }
  const skipped = targets.slice(results.length + (standbyError ? 1 : 0)).map((t) => t.region);
  if (skipped.length) sentences.push(`Not changed in ${skipped.join(', ')}: the change stopped at the Region before.`);
  const before = results.find((r) => r.result.outcome === 'complete')?.result.before?.value;
  /** Regions behind because their deployment still runs (the set timed out there): a set again would be refused. */
  const deploying = results.filter((r) => r.result.outcome === 'deploying').map((r) => r.region);
  const waitFor = deploying.map((region) => `bluegreen flags ${global.service} --region ${region}`);
  const inStep = [
    `bluegreen flags set ${global.service} ${flag} ${value}${options.gradual ? ' --gradual' : ''} --reason "bring ${behind.join(', ')} in step"`,
    ...(before === true || before === false ? [`bluegreen flags set ${global.service} ${flag} ${before ? 'on' : 'off'} --reason "undo in ${changed.join(', ')}"`] : []),
  ];
  if (skewed && deploying.length) {
    sentences.push(
      `The Regions differ for now: ${flag} is ${value} in ${changed.join(', ')}, and ${deploying.join(', ')} is still deploying it. ` +
        `Wait for the standby's deployment (${waitFor.join('; ')}); a set now would be refused while it runs. If it is rolled back, run the set again then (${inStep[0]}).`,
    );
  } else if (skewed) {
    sentences.push(
      `The Regions differ: ${flag} is ${value} in ${changed.join(', ')} but not in ${behind.join(', ')}. ` +
        `Bring them in step: run the set again once ${behind.join(', ')} can take it (${inStep[0]}: the changed Region has nothing to do)${inStep[1] ? `, or undo it (${inStep[1]})` : ''}.`,
    );
  }
  const next = skewed
    ? deploying.length
      ? [...waitFor, inStep[0]]
      : [`bluegreen flags ${global.service}`, ...inStep]
    : worst === EXIT_CODES.paused
      ? [`bluegreen flags ${global.service}`, `bluegreen flags kill ${global.service} ${flag} --reason "..."`]
      : worst === EXIT_CODES['rolled-back']
        ? [`bluegreen flags ${global.service}`]
        : undefined;
  const dry = global.dryRun;
  return out.result({
    status: dry ? 'dry-run' : skewed ? 'skewed' : worst === 0 ? 'done' : worst === 1 ? 'rolled-back' : 'deploying',
    exitCode: worst,
    message: `${sentences.join(' ')}${callsNote(ctx)}`,
    ...(next ? { next } : {}),
    flag,
    value,
    dryRun: dry,
    regions: results.map(({ region, result }) => ({ region, ...serialisable(result) })),
    ...(standbyError ? { notChanged: [{ region: standbyError.region, error: explain(ctx, standbyError.region, standbyError.error) }] } : {}),
    apiCalls: apiCallSummary(ctx.clients.counter),
  });
}

function setExit(r: FeatureFlagChangeResult, options: FlagsOptions): number {
  switch (r.outcome) {
    case 'rolled-back':
      return EXIT_CODES['rolled-back'];
    case 'deploying':
      return options.wait === false ? EXIT_CODES.done : EXIT_CODES.paused;
    default:
      return EXIT_CODES.done;
  }
}

function setMessage(service: string, r: FeatureFlagChangeResult, options: FlagsOptions): string {
  const value = r.enabled ? 'on' : 'off';
  const how = r.kind === 'gradual' ? 'gradually' : 'all at once';
  const d = r.deployment;
  const cleared = r.clearedSuspensions?.length ? ` Cleared ${r.clearedSuspensions.map((h) => `the dead kill of ${h.flag} by ${h.by} (since ${h.since})`).join(', ')}.` : '';
  const resumed = r.resumedMonitor ? " The monitor's actions, which a kill had left disabled, are enabled again." : '';
  switch (r.outcome) {
    case 'would-deploy':
      return `Dry run, nothing was changed: ${r.steps.join('; ')}.`;
    case 'nothing-to-do':
      return `${r.steps.join('; ')}.`;
    case 'complete':
      return `Set ${r.flag} ${value} for ${service}: version ${r.version}, deployment ${d?.deploymentNumber} COMPLETE (${how}).${resumed}${cleared}`;
    case 'rolled-back':
      return `AppConfig rolled back deployment ${d?.deploymentNumber} (version ${r.version}, ${r.flag} ${value}): ${r.detail}. ${service} serves version ${r.before?.version ?? 'none'} again, where ${r.flag} is ${onOffText(r.before?.value)}.${resumed}${cleared}`;
    default:
      return options.wait === false
        ? `Started deployment ${d?.deploymentNumber} of version ${r.version} (${r.flag} ${value}, ${how}); it is ${d ? describeDeployment(d).replace(/^deployment \d+ /, '') : 'running'}. Follow it: bluegreen flags ${service}.${resumed}${cleared}`
        : `${d ? describeDeployment({ ...d, description: null }) : 'the deployment'} is still running after ${formatDuration(options.timeoutMs!)} (${r.flag} ${value}); it goes on without this command. Follow it: bluegreen flags ${service}; stop it: bluegreen flags kill ${service} ${r.flag} --reason "...".${resumed}${cleared}`;
  }
}

function onOffText(v: boolean | null | undefined): string {
  return v === true ? 'on' : v === false ? 'off' : 'not set (apps use their default)';
}

/** A Region's kill: its result, or the error that kept it from running there. */
interface RegionKill {
  readonly region: string;
  readonly t?: Target;
  readonly result?: FeatureFlagChangeResult;
  readonly error?: unknown;
}

async function kill(ctx: CommandContext, regions: readonly RegionTarget[], options: FlagsOptions): Promise<number> {
  const { killFeatureFlag } = await import('../../release/feature-flags/kill');
  const { global, out } = ctx;
  const flag = options.flag!;
  const by = actorId(ctx.io.env);
  // Every Region at once, each on its own: a kill is an incident action, each Region's AppConfig is independent, and
  // one Region that cannot be reached (or refuses) must not keep the flag on in the other.
  const settled = await Promise.allSettled(
    regions.map(async (r) => {
      if (!r.target) throw r.error;
      return killFeatureFlag(r.target.ports, r.target.section, {
        service: global.service,
        flag,
        reason: options.reason!,
        by,
        timeoutMs: options.timeoutMs!,
        dryRun: global.dryRun,
        logger: out.logger,
        prefix: r.target.prefix,
      });
    }),
  );
  const kills: RegionKill[] = settled.map((s, i) =>
    s.status === 'fulfilled' ? { region: regions[i].region, t: regions[i].target, result: s.value } : { region: regions[i].region, ...(regions[i].target ? { t: regions[i].target } : {}), error: s.reason as unknown },
  );
  const errors = kills.filter((k) => k.error !== undefined);
  // Nowhere to kill: one Region, or every Region the same way (undeclared, refused, an AWS error), before anything
  // changed: the usual exit code (2, 3, 5), as for a service in one Region.
  const kind = (e: unknown) => (e instanceof UndeclaredFeatureFlagError ? 'undeclared' : e instanceof FeatureFlagRefusal ? 'refused' : 'aws');
  if (errors.length === kills.length && errors.every((k) => kind(k.error) === kind(errors[0].error))) {
    throw errors[0].error;
  }
  const reason = JSON.stringify(options.reason);
  const failed = kills.filter((k) => k.error !== undefined || k.result?.outcome === 'failed');
  for (const k of kills) for (const w of k.result?.warnings ?? []) out.warn(`${kills.length > 1 ? `${k.region}: ` : ''}${w}`);
  const sentences = kills.map((k) => `${kills.length > 1 ? `${k.region}: ` : ''}${k.result ? killMessage(ctx, k.t!, k.result) : unreachedMessage(ctx, k, flag, reason)}`);
  const next = failed.length
    ? [
        ...failed.map((f) => `bluegreen flags kill ${global.service} ${flag} --reason ${reason}${kills.length > 1 ? ` --region ${f.region}` : ''}`),
        `bluegreen flags ${global.service}`,
        ...failed.filter((f) => f.result?.monitorResumed === false).map((f) => `aws cloudwatch enable-alarm-actions --alarm-names ${f.t!.section.monitorAlarmName} --region ${f.region}`),
      ]
    : undefined;
  return out.result({
    status: global.dryRun ? 'dry-run' : failed.length ? 'failed' : 'done',
    exitCode: failed.length ? EXIT_CODES.failed : EXIT_CODES.done,
    message: `${sentences.join(' ')}${callsNote(ctx)}`,
    ...(next ? { next } : {}),
    flag,
    value: 'off',
    dryRun: global.dryRun,
    regions: kills.map((k) => (k.result ? { region: k.region, ...serialisable(k.result) } : { region: k.region, outcome: 'failed', detail: errorText(ctx, k) })),
    apiCalls: apiCallSummary(ctx.clients.counter),
  });
}

function errorText(ctx: CommandContext, k: RegionKill): string {
  const e = k.error;
  return e instanceof FeatureFlagRefusal || e instanceof UndeclaredFeatureFlagError ? e.message : explain(ctx, k.region, e);
}

/** A Region the kill could not run in. */
function unreachedMessage(ctx: CommandContext, k: RegionKill, flag: string, reason: string): string {
  return (
    `The kill of ${flag} did not run in ${k.region}: ${errorText(ctx, k)}. Nothing was changed there; ` +
    `run it there once it can be reached: bluegreen flags kill ${ctx.global.service} ${flag} --reason ${reason} --region ${k.region}.`
  );
}

function killMessage(ctx: CommandContext, t: Target, r: FeatureFlagChangeResult): string {
  const service = ctx.global.service;
  const stopped = r.stoppedDeployment ? ` (stopped deployment ${r.stoppedDeployment.deploymentNumber} first${r.stoppedWithAllowRevert ? ': it was BAKING, so stopped with AllowRevert' : ''})` : '';
  const took = formatDuration(Math.max(0, r.endedAt - r.startedAt));
  const monitor = r.monitorHeldBy?.length
    ? `the monitor's actions stay disabled: ${r.monitorHeldBy.map((h) => `a kill of ${h.flag} by ${h.by} since ${h.since}`).join(', ')} still holds them (the last kill enables them)`
    : "the monitor's actions are enabled again";
  switch (r.outcome) {
    case 'would-deploy':
    case 'nothing-to-do':
      if (r.dryRun) return `Dry run, nothing was changed: ${r.steps.join('; ')}.`;
      return `${r.flag} of ${service} was already off in version ${r.before?.version}${stopped}: nothing deployed; ${monitor} (${took}).`;
    case 'complete':
      return `Killed ${r.flag} of ${service}: off in version ${r.version}, deployment ${r.deployment?.deploymentNumber} COMPLETE in ${took}${stopped}; ${monitor}.`;
    default: {
      const explained = r.error !== undefined ? explainAwsError(r.error, { profile: ctx.global.profile, region: t.region, env: ctx.io.env })?.message : undefined;
      const served = r.served ? describeServed(r.served, r.flag) : 'what AppConfig serves could not be read';
      if (r.stillDeploying) {
        return (
          `The kill of ${r.flag} is still deploying: ${r.detail}. ${served}. The monitor's actions stay DISABLED on purpose (enabled, AppConfig would roll the kill back), ` +
          `and this kill still holds them, so a bluegreen flags set is refused meanwhile. Wait for the deployment to complete (bluegreen flags ${service}), ` +
          `then enable them: aws cloudwatch enable-alarm-actions --alarm-names ${t.section.monitorAlarmName} --region ${t.region}; the next bluegreen flags set then ` +
          `clears this kill's hold (or, ${Math.round(FEATURE_FLAG_STALE_HOLDER_MS / 60_000)} minutes after the kill started, the next bluegreen flags set clears its hold and enables them).`
        );
      }
      const monitorNote =
        r.monitorResumed === false ? ` The monitor's actions are still DISABLED: enable them (aws cloudwatch enable-alarm-actions --alarm-names ${t.section.monitorAlarmName} --region ${t.region}).` : '';
      return `The kill of ${r.flag} did not complete: ${explained ?? r.detail ?? 'unknown error'}. ${served}.${monitorNote} Run the kill again.`;
    }
  }
}

/** A result as JSON: without the error object. */
function serialisable(r: FeatureFlagChangeResult): Record<string, unknown> {
  const { error: _e, startedAt, endedAt, ...rest } = r;
  return { ...rest, startedAt: new Date(startedAt).toISOString(), endedAt: new Date(endedAt).toISOString() };
}
