import type { FeatureFlagsDescriptor, ServiceDescriptor } from '../../contract';
import { featureFlagNameProblems, UndeclaredFeatureFlagError } from '../../contract';
import { formatDuration, UsageError, usageError } from '../../release';
import type { FeatureFlagPorts } from '../../release/feature-flags/ports';
import { FeatureFlagRefusal } from '../../release/feature-flags/refusal';
import type { FeatureFlagChangeResult } from '../../release/feature-flags/types';
import { describeDeployment } from '../../release/feature-flags/types';
import { featureFlagPorts, loadServiceDescriptor } from '../aws-access';
import { explainAwsError } from '../aws-errors';
import type { Command, CommandContext, FlagValues } from '../command';
import { drAccessFor } from '../dr-access';
import { EXIT_CODES } from '../exit-codes';
import { renderFeatureFlags, FeatureFlagsView } from '../feature-flags-view';
import { durationFlag, stringFlag } from '../flags';
import { apiCallSummary } from '../output';
import { ownerId } from '../owner';
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

/** `--timeout` bounds and defaults: a kill must be quick or fail loudly; a gradual set may take its strategy's time. */
const TIMEOUT_MS = { min: 10_000, max: 24 * 3_600_000, set: 30 * 60_000, kill: 5 * 60_000 };

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
    'no-wait': { type: 'boolean', help: 'set: return once the deployment started; bluegreen flags <service> follows it' },
    timeout: { type: 'string', example: '30m', help: `set, kill: longest wait for the deployment, 10s to 24h (default ${formatDuration(TIMEOUT_MS.set)} for set, ${formatDuration(TIMEOUT_MS.kill)} for kill)` },
  },
  details: [
    'Actions:',
    '  (none), list  every flag: live value, default, owner, age, expiry, status (ok, debt: past expiry, not-live:',
    '                never deployed, undeclared: live but no longer declared); the debt and how to clear it; the',
    '                running deployment; the monitor (a warning if its actions are disabled); recent changes.',
    '                A service with a standby Region: both Regions. --json: one object.',
    '  set           deploy a new version with the flag on or off: all at once (AppConfig.AllAtOnce, 10 minutes',
    '                monitored bake) or --gradual; the monitor (either colour\'s gate in ALARM) rolls it back.',
    '                Refused while another deployment runs. Standby Region: primary first, then standby.',
    '  kill          the kill switch: disable the monitor\'s actions, stop any running deployment, deploy the flag',
    '                off at once (kill strategy, no bake), enable the monitor\'s actions again. Both Regions at once.',
    '  --dry-run     (set, kill) say what would happen; change nothing.',
    '',
    'Exit codes:',
    '  0  done: listed, set (COMPLETE, or started with --no-wait), killed, nothing to do, a dry run',
    '  1  set: rolled back by the monitor (AppConfig\'s reason in the message); the previous version is served',
    '  2  usage: a bad flag name (the naming convention <kind>-<words>), a flag that is not declared (the message',
    '     names the declared ones), on|off missing, kill without --reason; nothing was changed',
    '  3  refused, nothing changed: a deployment is running (wait, or flags kill), or the service has no feature',
    '     flags (declare them with FeatureFlags on its BlueGreenService and cdk deploy)',
    '  4  set: still deploying at --timeout; it goes on (bluegreen flags <service> follows it)',
    '  5  AWS error: credentials, endpoint, throttling or access denied; the message says the fix',
    '  6  kill: did not complete; the message says what AppConfig serves now and what to run next',
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
  const timeoutMs = durationFlag(values, 'timeout', TIMEOUT_MS.min, TIMEOUT_MS.max);
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
    const targets = await targetsOf(ctx, await loadServiceDescriptor(ctx), (region) => access.clientsFor(region), (region) => access.descriptor(region));
    switch (options.action) {
      case 'list':
        return await list(ctx, targets);
      case 'set':
        return await set(ctx, targets, options);
      default:
        return await kill(ctx, targets, options);
    }
  } catch (e) {
    if (e instanceof FeatureFlagRefusal) return refused(ctx, e.message);
    if (e instanceof UndeclaredFeatureFlagError) throw new UsageError(e.message);
    throw e;
  } finally {
    access.close();
  }
}

/**
 * The Regions a flag change reaches: the descriptor's, and for a disaster-recovery pair the other one too (each has
 * its own AppConfig), primary first.
 *
 * @throws FeatureFlagRefusal when a Region's descriptor has no feature flags
 */
async function targetsOf(
  ctx: CommandContext,
  here: ServiceDescriptor,
  clientsFor: (region: string) => CommandContext['clients'],
  descriptorIn: (region: string) => Promise<ServiceDescriptor>,
): Promise<Target[]> {
  const dr = here.disasterRecovery;
  const descriptors = dr ? await Promise.all([dr.primaryRegion, dr.standbyRegion].map((r) => (r === here.region ? here : descriptorIn(r)))) : [here];
  return Promise.all(
    descriptors.map(async (d) => {
      if (!d.featureFlags) throw new FeatureFlagRefusal(notConfigured(d));
      const ports = await featureFlagPorts(ctx, d, d.region === here.region ? ctx.clients : clientsFor(d.region));
      return { region: d.region, section: d.featureFlags, ports, prefix: dr ? `${d.region}: ` : '' };
    }),
  );
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

async function list(ctx: CommandContext, targets: readonly Target[]): Promise<number> {
  const { listFeatureFlags } = await import('../../release/feature-flags/list');
  const regions = await Promise.all(targets.map(async (t) => ({ region: t.region, ...(await listFeatureFlags(t.ports, t.section, t.ports.clock.now())) })));
  const view: FeatureFlagsView = { service: ctx.global.service, regions };
  for (const r of regions) {
    if (!r.monitor.actionsEnabled) {
      ctx.out.warn(
        `the actions of monitor ${r.monitor.name} in ${r.region} are DISABLED${r.monitorSuspended ? ` (by a kill of ${r.monitorSuspended.by} at ${r.monitorSuspended.since} that did not finish)` : ''}: ` +
          `AppConfig will not roll back a bad flag change. The next bluegreen flags set enables them, or: aws cloudwatch enable-alarm-actions --alarm-names ${r.monitor.name} --region ${r.region}`,
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
  if (targets.length > 1) {
    // Both Regions, or neither: refuse before changing anything if either has a deployment running.
    const running = await Promise.all(targets.map(async (t) => ({ t, d: runningDeployment(await t.ports.config.listDeployments()) })));
    const busy = running.find((r) => r.d);
    if (busy) throw new FeatureFlagRefusal(`${busy.t.region}: ${runningRefusal(global.service, flag, busy.d!)}. Nothing was changed in either Region.`);
  }
  const results: { region: string; result: FeatureFlagChangeResult }[] = [];
  for (const t of targets) {
    const result = await setFeatureFlag(t.ports, t.section, {
      service: global.service,
      flag,
      enabled: options.enabled!,
      gradual: options.gradual === true,
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      by: ownerId(),
      wait: options.wait !== false,
      timeoutMs: options.timeoutMs!,
      dryRun: global.dryRun,
      logger: out.logger,
      prefix: t.prefix,
    });
    results.push({ region: t.region, result });
    // A Region that did not take the change stops the rollout: the standby is not changed after a failed primary.
    if (!['complete', 'nothing-to-do', 'would-deploy'].includes(result.outcome)) break;
  }
  const skipped = targets.slice(results.length).map((t) => t.region);
  const worst = results.map((r) => setExit(r.result, options)).reduce((a, b) => Math.max(a, b), 0);
  const sentences = results.map(({ region, result }) => `${targets.length > 1 ? `${region}: ` : ''}${setMessage(global.service, result, options)}`);
  if (skipped.length) sentences.push(`Not changed in ${skipped.join(', ')}: the change stopped at the Region before.`);
  const next =
    worst === EXIT_CODES.paused
      ? [`bluegreen flags ${global.service}`, `bluegreen flags kill ${global.service} ${flag} --reason "..."`]
      : worst === EXIT_CODES['rolled-back']
        ? [`bluegreen flags ${global.service}`]
        : undefined;
  const dry = global.dryRun;
  return out.result({
    status: dry ? 'dry-run' : worst === 0 ? 'done' : worst === 1 ? 'rolled-back' : 'deploying',
    exitCode: worst,
    message: `${sentences.join(' ')}${callsNote(ctx)}`,
    ...(next ? { next } : {}),
    flag,
    value,
    dryRun: dry,
    regions: results.map(({ region, result }) => ({ region, ...serialisable(result) })),
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
  switch (r.outcome) {
    case 'would-deploy':
      return `Dry run, nothing was changed: ${r.steps.join('; ')}.`;
    case 'nothing-to-do':
      return `${r.steps.join('; ')}.`;
    case 'complete':
      return `Set ${r.flag} ${value} for ${service}: version ${r.version}, deployment ${d?.deploymentNumber} COMPLETE (${how}).${r.resumedMonitor ? ' The monitor\'s actions, which a kill had left disabled, are enabled again.' : ''}`;
    case 'rolled-back':
      return `AppConfig rolled back deployment ${d?.deploymentNumber} (version ${r.version}, ${r.flag} ${value}): ${r.detail}. ${service} serves version ${r.before?.version ?? 'none'} again, where ${r.flag} is ${onOffText(r.before?.value)}.`;
    default:
      return options.wait === false
        ? `Started deployment ${d?.deploymentNumber} of version ${r.version} (${r.flag} ${value}, ${how}); it is ${d ? describeDeployment(d).replace(/^deployment \d+ /, '') : 'running'}. Follow it: bluegreen flags ${service}.`
        : `${d ? describeDeployment({ ...d, description: null }) : 'the deployment'} is still running after ${formatDuration(options.timeoutMs!)} (${r.flag} ${value}); it goes on without this command. Follow it: bluegreen flags ${service}; stop it: bluegreen flags kill ${service} ${r.flag} --reason "...".`;
  }
}

function onOffText(v: boolean | null | undefined): string {
  return v === true ? 'on' : v === false ? 'off' : 'not set (apps use their default)';
}

async function kill(ctx: CommandContext, targets: readonly Target[], options: FlagsOptions): Promise<number> {
  const { killFeatureFlag } = await import('../../release/feature-flags/kill');
  const { global, out } = ctx;
  const flag = options.flag!;
  // Both Regions at once: a kill is an incident action, and each Region's AppConfig is independent.
  const results = await Promise.all(
    targets.map(async (t) => ({
      t,
      result: await killFeatureFlag(t.ports, t.section, {
        service: global.service,
        flag,
        reason: options.reason!,
        by: ownerId(),
        timeoutMs: options.timeoutMs!,
        dryRun: global.dryRun,
        logger: out.logger,
        prefix: t.prefix,
      }),
    })),
  );
  const failed = results.filter((r) => r.result.outcome === 'failed');
  for (const { result } of results) for (const w of result.warnings ?? []) out.warn(w);
  const sentences = results.map(({ t, result }) => `${targets.length > 1 ? `${t.region}: ` : ''}${killMessage(ctx, t, result)}`);
  const next = failed.length
    ? [
        `bluegreen flags kill ${global.service} ${flag} --reason ${JSON.stringify(options.reason)}`,
        `bluegreen flags ${global.service}`,
        ...failed.filter((f) => f.result.monitorResumed === false).map((f) => `aws cloudwatch enable-alarm-actions --alarm-names ${f.t.section.monitorAlarmName} --region ${f.t.region}`),
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
    regions: results.map(({ t, result }) => ({ region: t.region, ...serialisable(result) })),
    apiCalls: apiCallSummary(ctx.clients.counter),
  });
}

function killMessage(ctx: CommandContext, t: Target, r: FeatureFlagChangeResult): string {
  const service = ctx.global.service;
  const stopped = r.stoppedDeployment ? ` (stopped deployment ${r.stoppedDeployment.deploymentNumber} first)` : '';
  const took = formatDuration(Math.max(0, r.endedAt - r.startedAt));
  switch (r.outcome) {
    case 'would-deploy':
    case 'nothing-to-do':
      if (r.dryRun) return `Dry run, nothing was changed: ${r.steps.join('; ')}.`;
      return `${r.flag} of ${service} was already off in version ${r.before?.version}${stopped}: nothing deployed; the monitor's actions are enabled again (${took}).`;
    case 'complete':
      return `Killed ${r.flag} of ${service}: off in version ${r.version}, deployment ${r.deployment?.deploymentNumber} COMPLETE in ${took}${stopped}; the monitor's actions are enabled again.`;
    default: {
      const explained = r.error !== undefined ? explainAwsError(r.error, { profile: ctx.global.profile, region: t.region, env: ctx.io.env })?.message : undefined;
      const served = r.served
        ? r.served.version === null
          ? 'AppConfig serves no version (apps use their defaults)'
          : `AppConfig serves version ${r.served.version}, where ${r.flag} is ${onOffText(r.served.value)}`
        : 'what AppConfig serves could not be read';
      const monitor = r.monitorResumed === false ? ` The monitor's actions are still DISABLED: enable them (aws cloudwatch enable-alarm-actions --alarm-names ${t.section.monitorAlarmName}).` : '';
      return `The kill of ${r.flag} did not complete: ${explained ?? r.detail ?? 'unknown error'}. ${served}.${monitor} Run the kill again.`;
    }
  }
}

/** A result as JSON: without the error object. */
function serialisable(r: FeatureFlagChangeResult): Record<string, unknown> {
  const { error: _e, startedAt, endedAt, ...rest } = r;
  return { ...rest, startedAt: new Date(startedAt).toISOString(), endedAt: new Date(endedAt).toISOString() };
}
