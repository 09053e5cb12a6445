/**
 * Lambda behind a service's quarantine (`Healing.quarantine()`): the termination lifecycle actions of both colours'
 * groups (EventBridge "EC2 Instance-terminate Lifecycle Action") and the scheduled sweep (QUARANTINE_SWEEP_SOURCE).
 * Both run the QuarantineController over the AWS adapters, with the descriptor's `healing.quarantine` settings. One
 * JSON log line per event.
 *
 * Fail open on a lifecycle action: whatever goes wrong, the action of our hook is completed with CONTINUE (the
 * instance terminates as it would without quarantine) and the invocation does not throw: a Lambda retry would only
 * keep the instance waiting longer, and the hook's default result is CONTINUE anyway. Another hook's action, or
 * another transition, is left alone.
 *
 * The sweep throws when it could not run or reported errors, after its log line: it is what terminates kept
 * instances when their retention ends and what feeds the flapping alarm, so a broken sweep must show in the
 * function's Errors metric. A retry is safe (it decides from what is true when it runs); the next one comes within a
 * minute anyway.
 */
import {
  QUARANTINE_ENV,
  QUARANTINE_HOOK_NAME,
  QUARANTINE_SWEEP_SOURCE,
  ServiceDescriptor,
} from '../../contract';
import { AwsClients, createAwsClients } from '../../aws/clients';
import { AutoScalingQuarantine } from '../../aws/quarantine/auto-scaling-quarantine';
import { createQuarantinePorts, quarantinePolicy } from '../../aws/quarantine/create-quarantine-ports';
import { Clock } from '../../release/ports';
import { AutoScalingQuarantinePort, HookOutcome, QuarantineController, SweepOutcome, TerminationEvent } from '../../release/quarantine';
import { DescriptorCache } from '../auto-rollback/descriptor-cache';

export { QUARANTINE_ENV } from '../../contract';

/** EventBridge's detail-type of a termination lifecycle action. */
export const LIFECYCLE_ACTION_DETAIL_TYPE = 'EC2 Instance-terminate Lifecycle Action';
/** The transition of a termination lifecycle action. */
export const TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING';

/** The `detail` of "EC2 Instance-terminate Lifecycle Action" (fields as Auto Scaling sends them). */
export interface LifecycleActionDetail {
  readonly AutoScalingGroupName?: string;
  readonly EC2InstanceId?: string;
  readonly LifecycleHookName?: string;
  readonly LifecycleActionToken?: string;
  readonly LifecycleTransition?: string;
  readonly Origin?: string;
  readonly Destination?: string;
}

/** What the function is invoked with: a lifecycle action from EventBridge, or the sweep schedule's event. */
export interface QuarantineEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: LifecycleActionDetail;
}

/** One JSON log line: what was decided, for which instance, and why. */
export interface QuarantineLogLine {
  readonly level: 'info' | 'error';
  /** `hook` (a lifecycle action of our hook), `sweep`, or `ignored` (not ours). */
  readonly kind: 'hook' | 'sweep' | 'ignored';
  readonly service: string;
  /** One sentence for people. */
  readonly message: string;
  readonly requestId?: string;
  readonly [field: string]: unknown;
}

/** What one invocation needs beyond the event (tests pass their own). */
export interface QuarantineConfig {
  readonly serviceName: string;
  readonly clients: AwsClients;
  readonly descriptors: DescriptorCache;
  /**
   * The release-state table the function's role may write (QUARANTINE_ENV.RELEASE_STATE_TABLE).
   *
   * @default - the descriptor's
   */
  readonly releaseStateTable?: string;
  /**
   * The Auto Scaling side (tests stand in for what an emulator lacks).
   *
   * @default - an AutoScalingQuarantine through `clients`
   */
  readonly autoScaling?: AutoScalingQuarantinePort;
  /** @default - wall-clock time */
  readonly clock?: Clock;
  /** @default - one JSON line on stdout */
  readonly log?: (line: QuarantineLogLine) => void;
  readonly requestId?: string;
}

/** Kept across invocations of a warm function. */
interface Shared {
  readonly clients: AwsClients;
  readonly autoScaling: AutoScalingQuarantinePort;
  descriptors?: DescriptorCache;
}
let shared: Shared | undefined;

/** Lambda entry point. */
export async function handler(event: QuarantineEvent, context?: { readonly awsRequestId?: string }): Promise<QuarantineLogLine> {
  const clients = shared?.clients ?? createAwsClients();
  const state: Shared = (shared ??= { clients, autoScaling: AutoScalingQuarantine.fromClients(clients) });
  const serviceName = process.env[QUARANTINE_ENV.SERVICE_NAME] ?? '';
  const descriptors = state.descriptors?.serviceName === serviceName ? state.descriptors : (state.descriptors = new DescriptorCache(serviceName));
  return runQuarantine(event, {
    serviceName,
    clients: state.clients,
    descriptors,
    releaseStateTable: process.env[QUARANTINE_ENV.RELEASE_STATE_TABLE] || undefined,
    autoScaling: state.autoScaling,
    requestId: context?.awsRequestId,
  });
}

/**
 * Handle one event, logged. A lifecycle action never throws (fail open); the sweep throws after logging when it
 * could not run or reported errors.
 */
export async function runQuarantine(event: QuarantineEvent, config: QuarantineConfig): Promise<QuarantineLogLine> {
  const write = config.log ?? ((line: QuarantineLogLine) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const log: Log = (line) => {
    const full: QuarantineLogLine = { service: config.serviceName, ...(config.requestId ? { requestId: config.requestId } : {}), ...line };
    write(full);
    return full;
  };
  if (event?.source === QUARANTINE_SWEEP_SOURCE) return sweep(config, log);
  if (event?.['detail-type'] === LIFECYCLE_ACTION_DETAIL_TYPE) return lifecycleAction(event.detail ?? {}, config, log);
  return log({ level: 'error', kind: 'ignored', message: `not a termination lifecycle action nor the sweep: source ${JSON.stringify(event?.source)}, detail-type ${JSON.stringify(event?.['detail-type'])}` });
}

/** A line before the service and request id are added. */
interface LogInput {
  readonly level: QuarantineLogLine['level'];
  readonly kind: QuarantineLogLine['kind'];
  readonly message: string;
  readonly [field: string]: unknown;
}
type Log = (line: LogInput) => QuarantineLogLine;

async function lifecycleAction(detail: LifecycleActionDetail, config: QuarantineConfig, log: Log): Promise<QuarantineLogLine> {
  const fields = {
    instanceId: detail.EC2InstanceId,
    autoScalingGroupName: detail.AutoScalingGroupName,
    lifecycleHookName: detail.LifecycleHookName,
  };
  if (detail.LifecycleTransition !== TERMINATING_TRANSITION) {
    return log({ level: 'info', kind: 'ignored', message: `transition ${detail.LifecycleTransition} is not ${TERMINATING_TRANSITION}: left alone`, ...fields });
  }
  const event = terminationEvent(detail);
  if (!event) {
    return log({ level: 'error', kind: 'ignored', message: 'lifecycle action without a group, instance, hook name or token: nothing to complete', ...fields, detail });
  }
  const autoScaling = config.autoScaling ?? AutoScalingQuarantine.fromClients(config.clients);
  let controller: QuarantineController;
  let hookName: string;
  try {
    checkEnvironment(config.serviceName);
    // Fresh: this may change the service (keep an instance), so never from a copy kept for the sweep.
    const descriptor = withTable(await config.descriptors.get(config.clients, true), config.releaseStateTable);
    const policy = quarantinePolicy(descriptor);
    hookName = policy.hookName;
    controller = new QuarantineController(createQuarantinePorts(config.clients, descriptor, { clock: config.clock, autoScaling }), policy);
  } catch (e) {
    config.descriptors.forget();
    // Without the descriptor, the construct's hook name tells ours from others'.
    if (event.lifecycleHookName !== QUARANTINE_HOOK_NAME) {
      return log({ level: 'error', kind: 'ignored', message: `could not read the quarantine settings (${errorText(e)}); hook ${event.lifecycleHookName} is not ours: left alone`, ...fields });
    }
    return failOpen(event, autoScaling, `could not read the quarantine settings: ${errorText(e)}`, log, fields);
  }
  if (event.lifecycleHookName !== hookName) {
    return log({ level: 'info', kind: 'ignored', message: `hook ${event.lifecycleHookName} is not ${hookName}: left to its owner`, ...fields });
  }
  let outcome: HookOutcome;
  try {
    outcome = await controller.onTermination(event);
  } catch (e) {
    return failOpen(event, autoScaling, `the quarantine controller failed: ${errorText(e)}`, log, fields);
  }
  return log({ level: outcome.action === 'failed-open' ? 'error' : 'info', kind: 'hook', message: hookMessage(outcome), ...fields, ...outcome });
}

/** Complete our hook's action with CONTINUE after a failure: the instance terminates as without quarantine. */
async function failOpen(event: TerminationEvent, autoScaling: AutoScalingQuarantinePort, error: string, log: Log, fields: Record<string, unknown>): Promise<QuarantineLogLine> {
  let completed: string;
  try {
    completed = (await autoScaling.completeLifecycleAction(event, 'CONTINUE'))
      ? 'the lifecycle action was completed with CONTINUE'
      : 'the lifecycle action had already ended';
  } catch (e) {
    completed = `completing the lifecycle action with CONTINUE failed too (${errorText(e)}): the hook's default result CONTINUE ends it at its timeout`;
  }
  return log({ level: 'error', kind: 'hook', action: 'failed-open', message: `${event.instanceId}: ${error}; ${completed}, so the instance terminates`, error, ...fields });
}

async function sweep(config: QuarantineConfig, log: Log): Promise<QuarantineLogLine> {
  let outcome: SweepOutcome;
  try {
    checkEnvironment(config.serviceName);
    // A kept copy (at most DESCRIPTOR_MAX_AGE_MS old) is enough: groups, retention and caps change only on deploy.
    const descriptor = withTable(await config.descriptors.get(config.clients), config.releaseStateTable);
    const policy = quarantinePolicy(descriptor);
    const autoScaling = config.autoScaling ?? AutoScalingQuarantine.fromClients(config.clients);
    outcome = await new QuarantineController(createQuarantinePorts(config.clients, descriptor, { clock: config.clock, autoScaling }), policy).sweep();
  } catch (e) {
    config.descriptors.forget();
    const message = `the quarantine sweep could not run: ${errorText(e)}`;
    log({ level: 'error', kind: 'sweep', message, error: errorText(e) });
    throw new Error(`${config.serviceName}: ${message}`);
  }
  const counts = outcome.recentReplacements;
  const summary = `terminated ${outcome.terminated.length}, dropped ${outcome.dropped.length}; recent replacements blue ${counts.blue}, green ${counts.green}`;
  if (outcome.errors.length) {
    config.descriptors.forget();
    log({ level: 'error', kind: 'sweep', message: `sweep ${summary}; ${outcome.errors.length} error(s): ${outcome.errors.join('; ')}`, ...outcome });
    throw new Error(`${config.serviceName}: the quarantine sweep reported ${outcome.errors.length} error(s): ${outcome.errors.join('; ')}`);
  }
  return log({ level: 'info', kind: 'sweep', message: `sweep ${summary}`, ...outcome });
}

/** The action as the controller takes it, undefined when a field it needs is missing. */
function terminationEvent(detail: LifecycleActionDetail): TerminationEvent | undefined {
  const { AutoScalingGroupName, EC2InstanceId, LifecycleHookName, LifecycleActionToken } = detail;
  if (!AutoScalingGroupName || !EC2InstanceId || !LifecycleHookName || !LifecycleActionToken) return undefined;
  return { autoScalingGroupName: AutoScalingGroupName, instanceId: EC2InstanceId, lifecycleHookName: LifecycleHookName, lifecycleActionToken: LifecycleActionToken };
}

function hookMessage(o: HookOutcome): string {
  switch (o.action) {
    case 'kept':
      return `kept ${o.instanceId} (${o.colour}) until ${o.entry.expiresAt}: ${o.entry.reasons.join('; ')}`;
    case 'terminated':
      return `${o.instanceId} terminates: ${o.reason}`;
    case 'duplicate':
      return `${o.instanceId}: nothing done, ${o.reason}`;
    case 'failed-open':
      return `${o.instanceId} (${o.colour}) could not be isolated, so it terminates: ${o.error}`;
  }
}

/** The record goes to the table the function's role may write, when the construct named one. */
function withTable(descriptor: ServiceDescriptor, table: string | undefined): ServiceDescriptor {
  return table && table !== descriptor.releaseStateTable ? { ...descriptor, releaseStateTable: table } : descriptor;
}

function checkEnvironment(service: string): void {
  if (!service) throw new Error(`Environment variable ${QUARANTINE_ENV.SERVICE_NAME} is not set: the Quarantine construct sets it; redeploy the stack.`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
