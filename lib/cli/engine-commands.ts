import { ServiceDescriptor } from '../contract';
import { createAwsPorts, loadDescriptor } from '../aws';
import { formatDuration, Logger, ReleaseEngine, ReleaseEngineOptions, ReleaseEvent, ReleaseOutcome, UsageError } from '../release';
import { CommandContext, keepImagesRetained, keepManifestInStep, ownerId } from './context';
import { DryRunPorts } from './dry-run-ports';
import { readManifest } from './manifest-file';
import { layoutAfter } from './manifest-sync';
import { apiCallSummary } from './output';

/**
 * release, resume, promote, rollback, abort, scale-down: run the engine command, then bring the manifest in step
 * with what it left in AWS.
 */
export async function runEngineCommand(ctx: CommandContext): Promise<number> {
  const { cmd, out, clients } = ctx;
  const manifestUsable = checkManifestFirst(ctx);
  const descriptor = await loadDescriptor(cmd.service, clients);
  const options: ReleaseEngineOptions = {
    service: cmd.service,
    owner: ownerId(),
    pollIntervalMs: cmd.pollIntervalMs,
    scaleDownDelayMs: cmd.scaleDownDelayMs,
  };
  if (cmd.dryRun && cmd.command === 'release') return planRelease(ctx, descriptor, options);
  if (cmd.dryRun) return simulate(ctx, descriptor, options);

  const engine = new ReleaseEngine(createAwsPorts(descriptor, clients, out.logger), options);
  const outcome = await invoke(engine, ctx);
  const manifest = manifestUsable
    ? keepManifestInStep(ctx, descriptor, layoutAfter(outcome))
    : { path: ctx.manifest.shown, action: 'skipped' as const, changes: [] };
  const retention = await keepImagesRetained(ctx, descriptor);
  return out.result({ ...outcomeFields(outcome), manifest, retention, apiCalls: apiCallSummary(clients.counter) });
}

/**
 * Refuse a manifest that is malformed, of another service, or missing although `--manifest` named it, before
 * anything changes. Rollback and abort are never held up by a file: they warn and go on.
 *
 * @returns whether the manifest can be kept in step afterwards
 */
function checkManifestFirst(ctx: CommandContext): boolean {
  const { cmd, manifest, out } = ctx;
  try {
    const loaded = readManifest(manifest, cmd.service);
    if (!loaded && manifest.explicit) {
      throw new UsageError(`--manifest: no file at ${manifest.shown}. Fix the path, or leave --manifest out to use releases/${cmd.service}.json.`);
    }
    return true;
  } catch (e) {
    if (cmd.command !== 'rollback' && cmd.command !== 'abort') throw e;
    out.warn(`${(e as Error).message} Rolling back anyway; the manifest will not be updated.`);
    return false;
  }
}

function invoke(engine: ReleaseEngine, ctx: CommandContext): Promise<ReleaseOutcome> {
  const { cmd } = ctx;
  switch (cmd.command) {
    case 'release':
      if (!cmd.strategy) throw new UsageError('release: no strategy.');
      return engine.release({ strategy: cmd.strategy });
    case 'resume':
      return engine.resume();
    case 'promote':
      return engine.promote({ colour: cmd.colour });
    case 'rollback':
      return engine.rollback({ reason: cmd.reason });
    case 'abort':
      return engine.abort({ reason: cmd.reason });
    case 'scale-down':
      return engine.scaleDown({ force: cmd.force });
    default:
      throw new UsageError(`${cmd.command} is not an engine command.`);
  }
}

function outcomeFields(o: ReleaseOutcome) {
  return {
    status: o.status,
    exitCode: o.exitCode,
    message: o.message,
    releaseId: o.releaseId,
    weights: o.weights,
    failedStep: o.failedStep,
    checks: o.checks,
    state: o.state,
  };
}

/** `release --dry-run`: the engine's plan, with the pre-flight checks as they stand. Reads only. */
async function planRelease(ctx: CommandContext, descriptor: ServiceDescriptor, options: ReleaseEngineOptions): Promise<number> {
  const { cmd, out, clients } = ctx;
  const engine = new ReleaseEngine(createAwsPorts(descriptor, clients, SILENT), options);
  const plan = await engine.plan({ strategy: cmd.strategy! });
  out.line(`Dry run, nothing was changed. Plan to release ${cmd.service}: ${plan.strategy}`);
  plan.actions.forEach((a, i) => out.line(`  ${i + 1}. ${a}`));
  out.line(`Shortest time to promotion: ${formatDuration(plan.minimumDurationMs)}.`);
  const manifest = plan.ready && plan.candidate ? keepManifestInStep(ctx, descriptor, { live: plan.candidate, idleMode: 'ready' }) : undefined;
  const message = plan.ready
    ? `Dry run: release would start, moving ${plan.candidate} from 0 to 100 % in ${plan.steps.length} step(s).`
    : `Dry run: release would be refused: ${plan.checks
        .filter((c) => !c.ok)
        .map((c) => c.detail)
        .join('; ')}.`;
  return out.result({ status: 'dry-run', exitCode: plan.ready ? 0 : 1, message, dryRun: true, plan, manifest, apiCalls: apiCallSummary(clients.counter) });
}

/**
 * Any other command with `--dry-run`: the engine runs against ports that read AWS and record their writes instead of
 * making them, so the actions listed are exactly what the command would do now.
 */
async function simulate(ctx: CommandContext, descriptor: ServiceDescriptor, options: ReleaseEngineOptions): Promise<number> {
  const { cmd, out, clients } = ctx;
  const events: ReleaseEvent[] = [];
  const dry = new DryRunPorts(createAwsPorts(descriptor, clients, SILENT), descriptor.capacity, { event: (e) => events.push(e) });
  const outcome = await invoke(new ReleaseEngine(dry.ports, options), ctx);
  out.line(`Dry run, nothing was changed. ${cmd.command} ${cmd.service} would:`);
  if (dry.actions.length === 0) out.line('  change nothing');
  dry.actions.forEach((a, i) => out.line(`  ${i + 1}. ${a}`));
  const manifest = keepManifestInStep(ctx, descriptor, layoutAfter(outcome));
  return out.result({
    status: 'dry-run',
    exitCode: outcome.exitCode,
    message: `Dry run: ${cmd.command} would end ${outcome.status} (exit ${outcome.exitCode}): ${outcome.message}`,
    dryRun: true,
    actions: dry.actions,
    outcome: outcomeFields(outcome),
    manifest,
    apiCalls: apiCallSummary(clients.counter),
  });
}

const SILENT: Logger = { event: () => undefined };
