import type { QuarantineDescriptor, ServiceDescriptor } from '../../contract';
import { QUARANTINE_MAX_RETENTION_SECONDS } from '../../contract';
import { formatDuration, UsageError, usageError } from '../../release';
import type { QuarantineController } from '../../release/quarantine/controller';
import { QuarantineRefusal } from '../../release/quarantine/refusal';
import { loadServiceDescriptor, quarantineController } from '../aws-access';
import type { Command, CommandContext, FlagValues } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { durationFlag } from '../flags';
import { apiCallSummary } from '../output';
import { ownerId } from '../owner';
import { buildQuarantineView, renderQuarantine, roughDuration } from '../quarantine-view';
import { withRetryNotices } from '../retry-notices';

/** What `quarantine` does. */
export type QuarantineAction = 'list' | 'terminate' | 'extend';
const ACTIONS: readonly QuarantineAction[] = ['list', 'terminate', 'extend'];

/** What `quarantine [<action>] <service> [<instance>]` was asked to do. */
export interface QuarantineOptions {
  readonly action: QuarantineAction;
  /** terminate, extend: the kept instance. */
  readonly instanceId?: string;
  /** extend: how much later its retention ends, milliseconds. */
  readonly forMs?: number;
}

/** Bounds of `--for`: an instance is kept at most 7 days after it was kept, so no extension is longer. */
const FOR_MS = { min: 60_000, max: QUARANTINE_MAX_RETENTION_SECONDS * 1000 };

/** An EC2 instance id, as AWS issues them (8 hex digits before 2016, 17 since). */
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const EXAMPLE_INSTANCE = 'i-0123456789abcdef0';

/**
 * `quarantine <service>`, `quarantine terminate <service> <instance>`, `quarantine extend <service> <instance> --for
 * 24h`: the sick instances a service with `healing: Healing.quarantine()` keeps for investigation. Exit codes: 0
 * done, 2 bad input (nothing read), 3 refused with nothing changed, 5 AWS error.
 */
export const quarantine: Command<QuarantineOptions> = {
  name: 'quarantine',
  summary: 'sick instances kept for investigation: list them (how to connect), terminate one, extend its retention',
  actions: ACTIONS,
  defaultAction: 'list',
  operands: { terminate: ['instance'], extend: ['instance'] },
  usage: [
    'bluegreen quarantine <service> [flags]',
    'bluegreen quarantine terminate <service> <instance> [--dry-run] [flags]',
    'bluegreen quarantine extend <service> <instance> --for <24h> [--dry-run] [flags]',
  ],
  flags: {
    for: { type: 'string', example: '24h', help: `extend: how much later the retention ends, 1m to ${formatDuration(FOR_MS.max)}; at most ${formatDuration(FOR_MS.max)} after it was kept in all` },
  },
  details: [
    'Actions:',
    '  (none), list  the kept instances: colour, state, since, reasons, image, expiry, evidence, snapshots and the',
    '                Session Manager command to connect; counts per colour against the caps, and recent',
    '                replacements against the flapping threshold. --json: one object.',
    '  terminate     terminate a kept instance now and drop it from the quarantine record (--dry-run: say what',
    '                would go). Its evidence stays in the log bucket.',
    '  extend        keep an instance longer: its expiry moves --for later, in the record and its',
    '                bluegreen:quarantine-expires tag (--dry-run: say until when).',
    '',
    'Exit codes:',
    '  0  done (listed, terminated, extended; a dry run that would do it)',
    '  2  usage: a bad flag, duration or instance id, or a missing argument; nothing was read from AWS',
    '  3  refused, nothing changed: the instance is not kept (or still being isolated), the extension goes past',
    `     ${formatDuration(QUARANTINE_MAX_RETENTION_SECONDS * 1000)} after it was kept (the message gives the latest expiry allowed), or the service has`,
    '     no quarantine (set `healing: Healing.quarantine()` on its BlueGreenService and deploy)',
    '  5  AWS error: credentials, endpoint, throttling or access denied; the message says the fix',
    '  6  extend changed the record but could not set the tag: the message gives the one command that sets it',
  ],
  parse: (values, action, operands) => parseQuarantine(values, action as QuarantineAction, operands ?? []),
  run: (ctx, options) => withRetryNotices(ctx, () => runQuarantine(ctx, options)),
};

function parseQuarantine(values: FlagValues, action: QuarantineAction, operands: readonly string[]): QuarantineOptions {
  if (values.for !== undefined && action !== 'extend') {
    throw usageError('--for', `applies only to quarantine extend, e.g. bluegreen quarantine extend web ${EXAMPLE_INSTANCE} --for 24h.`, values.for);
  }
  if (action === 'list') return { action };
  const instanceId = operands[0];
  if (!INSTANCE_ID.test(instanceId)) {
    throw usageError('<instance>', `malformed instance id: expected 'i-' and 8 or 17 lower-case hex digits, e.g. ${EXAMPLE_INSTANCE}; 'bluegreen quarantine <service>' lists the kept ones.`, instanceId);
  }
  if (action === 'terminate') return { action, instanceId };
  const forMs = durationFlag(values, 'for', FOR_MS.min, FOR_MS.max);
  if (forMs === undefined) {
    throw new UsageError(`quarantine extend needs --for <duration>: how much later the retention ends, e.g. bluegreen quarantine extend web ${instanceId} --for 24h.`);
  }
  return { action, instanceId, forMs };
}

async function runQuarantine(ctx: CommandContext, options: QuarantineOptions): Promise<number> {
  const descriptor = await loadServiceDescriptor(ctx);
  const section = descriptor.healing?.quarantine;
  if (!section) return refused(ctx, notConfigured(descriptor));
  const controller = await quarantineController(ctx, descriptor);
  try {
    switch (options.action) {
      case 'list':
        return await list(ctx, controller, descriptor, section);
      case 'terminate':
        return await terminate(ctx, controller, section, options.instanceId!);
      default:
        return await extend(ctx, controller, options.instanceId!, options.forMs!);
    }
  } catch (e) {
    if (e instanceof QuarantineRefusal) return refused(ctx, e.message);
    throw e;
  }
}

/** Why a service without `healing.quarantine` has nothing to list, and the fix. */
function notConfigured(descriptor: ServiceDescriptor): string {
  return (
    `${descriptor.service} does not quarantine sick instances: its descriptor in ${descriptor.region} has no healing.quarantine section, so its groups replace them without keeping any. ` +
    'Set `healing: Healing.quarantine()` on its BlueGreenService and deploy, then run this again.'
  );
}

function refused(ctx: CommandContext, message: string): number {
  return ctx.out.result({ status: 'refused', exitCode: EXIT_CODES.refused, message, apiCalls: apiCallSummary(ctx.clients.counter) });
}

async function list(ctx: CommandContext, controller: QuarantineController, descriptor: ServiceDescriptor, section: QuarantineDescriptor): Promise<number> {
  const now = ctx.io.clock?.now() ?? Date.now();
  const view = buildQuarantineView(descriptor.service, descriptor.region, await controller.list(), section, now);
  if (ctx.global.json) ctx.out.statusObject(view);
  else renderQuarantine(view).forEach((l) => ctx.out.line(l));
  return EXIT_CODES.done;
}

async function terminate(ctx: CommandContext, controller: QuarantineController, section: QuarantineDescriptor, instanceId: string): Promise<number> {
  const { global, out, clients } = ctx;
  const r = await controller.terminate(instanceId, { who: ownerId(), dryRun: global.dryRun });
  const of = `${r.instanceId} (${r.colour}) of ${global.service}`;
  const evidence = `s3://${section.evidenceBucket}/${section.evidencePrefix.replace(/\/?$/, '/')}${r.instanceId}/`;
  const message = r.dryRun
    ? r.terminated
      ? `Dry run, nothing was changed: would terminate ${of} and drop it from the quarantine record.`
      : `Dry run, nothing was changed: ${of} is already gone; would drop it from the quarantine record.`
    : r.terminated
      ? `Terminated ${of} and dropped it from the quarantine record; its evidence stays under ${evidence}.`
      : `${of} was already gone; dropped it from the quarantine record. Its evidence stays under ${evidence}.`;
  return out.result({
    status: r.dryRun ? 'dry-run' : 'done',
    exitCode: EXIT_CODES.done,
    message,
    instanceId: r.instanceId,
    colour: r.colour,
    terminated: r.terminated,
    dryRun: r.dryRun,
    apiCalls: apiCallSummary(clients.counter),
  });
}

async function extend(ctx: CommandContext, controller: QuarantineController, instanceId: string, forMs: number): Promise<number> {
  const { global, out, clients } = ctx;
  const who = ownerId();
  const r = await controller.extend(instanceId, forMs / 1000, { who, dryRun: global.dryRun });
  const left = roughDuration(Math.max(0, Date.parse(r.expiresAt) - (ctx.io.clock?.now() ?? Date.now())));
  const message = r.dryRun
    ? `Dry run, nothing was changed: would keep ${r.instanceId} of ${global.service} until ${r.expiresAt} (in ${left}) instead of ${r.previousExpiry}.`
    : `Extended ${r.instanceId} of ${global.service}: kept until ${r.expiresAt} (in ${left}), was ${r.previousExpiry}; recorded as extended by ${who}.`;
  return out.result({
    status: r.dryRun ? 'dry-run' : 'done',
    exitCode: EXIT_CODES.done,
    message,
    instanceId: r.instanceId,
    previousExpiry: r.previousExpiry,
    expiresAt: r.expiresAt,
    dryRun: r.dryRun,
    apiCalls: apiCallSummary(clients.counter),
  });
}
