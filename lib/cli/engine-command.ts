import { retryEvent } from '../aws/aws-faults';
import type { ManifestDocument, ServiceDescriptor } from '../contract';
import {
  formatDuration,
  Logger,
  ReleaseEngine,
  ReleaseEngineOptions,
  ReleaseEvent,
  ReleaseEventType,
  ReleaseOutcome,
  ReleaseHooks,
  ReleasePlan,
  ReleasePorts,
  ROLLBACK_DEADLINE_MS,
  UsageError,
} from '../release';
import { awsPorts, loadServiceDescriptor, releaseHooks } from './aws-access';
import type { CommandContext } from './command';
import { hasCommands, HookFlags } from './hook-flags';
import { DryRunPorts } from './dry-run-ports';
import { EXIT_CODES, exitCodeForOutcome } from './exit-codes';
import { keepImagesRetained } from './image-retention';
import { readManifest } from './manifest-file';
import { keepManifestInStep, layoutAfter } from './manifest-sync';
import { clockTime, humanDuration } from './durations';
import { apiCallSummary } from './output';
import { ownerId, ownerProcess, processProbe } from './owner';

/** How a command drives the release engine: release, resume, promote, rollback, abort, scale-down. */
export interface EngineRun {
  /** The command's name, for messages. */
  readonly name: string;
  /** What the command's flags set on the engine. */
  readonly engine?: Pick<ReleaseEngineOptions, 'pollIntervalMs' | 'scaleDownDelayMs' | 'takeOver' | 'allowUndeployedImage'>;
  /** The engine call. */
  invoke(engine: ReleaseEngine): Promise<ReleaseOutcome>;
  /**
   * A release of this many steps, each baking this long (and waiting for approval at this many pauses): its start
   * says how long it takes and when it ends.
   */
  readonly expect?: { readonly steps: number; readonly bakeMs: number; readonly pauseBefore?: readonly number[] };
  /**
   * The local command hooks the command was given (`--<point>-cmd`, `--hook-timeout`). The hooks the descriptor
   * declares (Lambda functions, webhooks) run whether or not any is given.
   */
  readonly hooks?: HookFlags;
  /**
   * The command changes neither traffic nor capacity (`contract`): the manifest and the AMIs' keep tags are left
   * alone, and `--dry-run` goes to `invoke` (the engine says what would run) instead of a simulation.
   */
  readonly hooksOnly?: boolean;
  /**
   * Asked before the engine runs (not on a dry run): a refusal message stops the command with "refused" and nothing
   * changed; undefined goes on.
   */
  confirm?(ports: ReleasePorts): Promise<string | undefined>;
  /** With `--dry-run`, print this plan instead of simulating `invoke` (release). */
  plan?(engine: ReleaseEngine): Promise<ReleasePlan>;
  /**
   * For a service with a standby Region (its descriptor has `disasterRecovery`): run this instead of the engine in
   * the command's Region alone (release: dr-release.ts). Called after the descriptor is read, with the engine options
   * and whether the manifest may be kept in step.
   */
  withStandby?(descriptor: ServiceDescriptor, options: ReleaseEngineOptions, manifestUsable: boolean): Promise<number>;
  /**
   * The emergency path: a bad manifest only warns, and the AMI tags are left alone (EC2 would add its client's
   * start-up to every rollback, and a rollback never changes which AMIs the colours run).
   */
  readonly emergency?: boolean;
}

/** Run the engine command, then bring the manifest (and the AMIs' keep tags) in step with what it left in AWS. */
export async function runEngineCommand(ctx: CommandContext, run: EngineRun): Promise<number> {
  const { out, clients } = ctx;
  // Every retry of an AWS call on a line of its own, as it happens.
  const stopReporting = clients.onRetry((notice) => out.logger.event(retryEvent(notice)));
  try {
    return await runEngine(ctx, run);
  } finally {
    stopReporting();
    clients.setDeadline(undefined);
  }
}

async function runEngine(ctx: CommandContext, run: EngineRun): Promise<number> {
  const { global, out, clients } = ctx;
  if (run.emergency) {
    // Rollback and abort: progress at once, before the descriptor's first call, and a bound on the whole command.
    clients.setDeadline(Date.now() + ROLLBACK_DEADLINE_MS, `the ${run.name}'s ${formatDuration(ROLLBACK_DEADLINE_MS)} deadline`);
    out.logger.event({
      type: ReleaseEventType.COMMAND_STARTED,
      message: `${run.name} ${global.service}: reading the service descriptor (finishes or gives up within ${formatDuration(ROLLBACK_DEADLINE_MS)})`,
      at: Date.now(),
    });
  }
  const { usable: manifestUsable, manifest: staged } = checkManifestFirst(ctx, run);
  const descriptor = await loadServiceDescriptor(ctx);
  const options: ReleaseEngineOptions = {
    service: global.service,
    owner: ownerId(),
    process: ownerProcess(),
    processProbe,
    ...(staged ? { stagedImages: { blue: staged.blue.image, green: staged.green.image } } : {}),
    ...run.engine,
  };
  if (run.withStandby && descriptor.disasterRecovery) return run.withStandby(descriptor, options, manifestUsable);
  if (global.dryRun && !run.hooksOnly) return run.plan ? planRelease(ctx, run, descriptor, options) : simulate(ctx, run, descriptor, options);

  const ports = await withHooks(ctx, run, descriptor, await awsPorts(ctx, descriptor, out.logger));
  const refusal = global.dryRun ? undefined : await run.confirm?.(ports);
  if (refusal !== undefined) {
    return out.result({ status: 'refused', exitCode: EXIT_CODES.refused, message: refusal, apiCalls: apiCallSummary(clients.counter) });
  }
  if (run.expect) out.expectRelease(run.expect.steps, run.expect.bakeMs, run.expect.pauseBefore?.length ?? 0);
  const outcome = await run.invoke(new ReleaseEngine(ports, options));
  if (run.hooksOnly) {
    return out.result({ ...outcomeFields(outcome), ...(global.dryRun ? { dryRun: true } : {}), next: nextCommands(run.name, global.service, outcome), apiCalls: apiCallSummary(clients.counter) });
  }
  const manifest = manifestUsable
    ? await keepManifestInStep(ctx, descriptor, layoutAfter(outcome), async (c) => (await ports.capacity.describe(c)).desired)
    : { path: ctx.manifest.shown, action: 'skipped' as const, changes: [] };
  const retention = run.emergency ? undefined : await keepImagesRetained(ctx, descriptor);
  return out.result({ ...outcomeFields(outcome), next: nextCommands(run.name, global.service, outcome), manifest, retention, apiCalls: apiCallSummary(clients.counter) });
}

/**
 * The engine's ports with the release hooks: those the descriptor declares and the command hooks given, when there
 * are any (the hook runners load only then). Command hook output is printed as it comes (`  [cmd-pre-release] ...`,
 * `hook-output` events in `--json`).
 *
 * Rollback and abort bound their AWS calls by a deadline (`emergency`); their on-rollback hooks run after the
 * rollback is verified and recorded, and may take their own time: the deadline is lifted when a hook starts.
 */
async function withHooks(ctx: CommandContext, run: EngineRun, descriptor: ServiceDescriptor, ports: ReleasePorts): Promise<ReleasePorts> {
  if (!descriptor.releaseHooks?.length && !hasCommands(run.hooks)) return ports;
  let hooks: ReleaseHooks;
  try {
    hooks = await releaseHooks(ctx, descriptor, run.hooks, (line) => ctx.out.hookOutput(line));
  } catch (e) {
    // A declared hook named like a command hook (cmd-<point>): the command line cannot be run as given.
    throw new UsageError((e as Error).message);
  }
  if (!run.emergency) return { ...ports, hooks };
  const runner = hooks.runner;
  return {
    ...ports,
    hooks: {
      ...hooks,
      runner: {
        run: (hook, event, timeoutMs) => {
          ctx.clients.setDeadline(undefined);
          return runner.run(hook, event, timeoutMs);
        },
      },
    },
  };
}

/** What to run after an outcome that leaves something to do, with the service name. */
export function nextCommands(command: string, service: string, outcome: ReleaseOutcome): string[] | undefined {
  const s = (what: string) => `bluegreen ${what} ${service}`;
  switch (outcome.status) {
    case 'failed':
      // A contract hook that failed left traffic alone.
      return command === 'contract' ? [s('status'), s('contract')] : [s('status'), s('rollback')];
    case 'awaiting-approval':
      return [s('approve'), s('rollback')];
    case 'preempted':
      return outcome.state?.status === 'in-progress' ? [`${s('status')} --watch`, s('wait')] : undefined;
    case 'refused':
      if (outcome.state?.status === 'in-progress' && outcome.state.awaitingApproval) return [s('approve'), s('rollback')];
      if (command === 'resume' && outcome.weights) return [s('rollback'), s('promote')];
      if (command === 'promote' && outcome.state?.status !== 'in-progress') return [`${s('promote')} --colour <blue|green>`];
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Refuse a manifest that is malformed, of another service, or missing although `--manifest` named it, before
 * anything changes. Rollback and abort are never held up by a file: they warn and go on.
 *
 * @returns whether the manifest can be kept in step afterwards, and the manifest (what it stages for each colour)
 */
function checkManifestFirst(ctx: CommandContext, run: EngineRun): { usable: boolean; manifest?: ManifestDocument } {
  const { global, manifest, out } = ctx;
  try {
    const loaded = readManifest(manifest, global.service);
    if (!loaded && manifest.explicit) {
      throw new UsageError(`--manifest: no file at ${manifest.shown}. Fix the path, or leave --manifest out to use releases/${global.service}.json.`);
    }
    return { usable: true, manifest: loaded?.manifest };
  } catch (e) {
    if (!run.emergency) throw e;
    out.warn(`${(e as Error).message} Rolling back anyway; the manifest will not be updated.`);
    return { usable: false };
  }
}

function outcomeFields(o: ReleaseOutcome) {
  return {
    status: o.status,
    exitCode: exitCodeForOutcome(o),
    message: o.message,
    releaseId: o.releaseId,
    weights: o.weights,
    failedStep: o.failedStep,
    checks: o.checks,
    state: o.state,
  };
}

/** `release --dry-run`: the engine's plan, with the pre-flight checks as they stand. Reads only. */
async function planRelease(ctx: CommandContext, run: EngineRun, descriptor: ServiceDescriptor, options: ReleaseEngineOptions): Promise<number> {
  const { global, out, clients } = ctx;
  // With the hooks, so that the plan lists them and when they run (their runners are built, never called).
  const ports = await withHooks(ctx, run, descriptor, await awsPorts(ctx, descriptor, SILENT));
  const planned = await run.plan!(new ReleaseEngine(ports, options));
  out.line(`Dry run, nothing was changed. Plan to release ${global.service}: ${planned.strategy}`);
  planned.actions.forEach((a, i) => out.line(`  ${i + 1}. ${a}`));
  const waits = run.expect?.pauseBefore?.length ? ', plus the wait for approval' : '';
  out.line(`Shortest time to promotion: ${humanDuration(planned.minimumDurationMs)}${waits} (ETA ${clockTime(Date.now() + planned.minimumDurationMs)} if started now).`);
  const manifest = planned.ready && planned.candidate ? await keepManifestInStep(ctx, descriptor, { live: planned.candidate, idleMode: 'ready' }) : undefined;
  const message = planned.ready
    ? `Dry run: release would start, moving ${planned.candidate} from 0 to 100 % in ${planned.steps.length} step(s).`
    : `Dry run: release would be refused: ${planned.checks
        .filter((c) => !c.ok)
        .map((c) => c.detail)
        .join('; ')}.`;
  return out.result({
    status: 'dry-run',
    exitCode: planned.ready ? EXIT_CODES.done : EXIT_CODES.refused,
    message,
    dryRun: true,
    plan: planned,
    manifest,
    apiCalls: apiCallSummary(clients.counter),
  });
}

/**
 * Any other command with `--dry-run`: the engine runs against ports that read AWS and record their writes instead of
 * making them, so the actions listed are exactly what the command would do now.
 */
async function simulate(ctx: CommandContext, run: EngineRun, descriptor: ServiceDescriptor, options: ReleaseEngineOptions): Promise<number> {
  const { global, out, clients } = ctx;
  const events: ReleaseEvent[] = [];
  const dry = new DryRunPorts(await awsPorts(ctx, descriptor, SILENT), descriptor.capacity, { event: (e) => events.push(e) });
  const outcome = await run.invoke(new ReleaseEngine(dry.ports, options));
  out.line(`Dry run, nothing was changed. ${run.name} ${global.service} would:`);
  if (dry.actions.length === 0) out.line('  change nothing');
  dry.actions.forEach((a, i) => out.line(`  ${i + 1}. ${a}`));
  const manifest = await keepManifestInStep(ctx, descriptor, layoutAfter(outcome), async (c) => (await dry.ports.capacity.describe(c)).desired);
  const exitCode = exitCodeForOutcome(outcome);
  return out.result({
    status: 'dry-run',
    exitCode,
    message: `Dry run: ${run.name} would end ${outcome.status} (exit ${exitCode}): ${outcome.message}`,
    dryRun: true,
    actions: dry.actions,
    simulated: outcomeFields(outcome),
    manifest,
    apiCalls: apiCallSummary(clients.counter),
  });
}

const SILENT: Logger = { event: () => undefined };
