/**
 * Isolating a claimed instance, step by step: read it, take it out of its target group, tag it, swap its security
 * groups for the quarantine group, capture evidence, snapshot it if asked. Any step's failure is an IsolationError
 * naming the step; the caller then releases the claim and lets the termination go on.
 */
import { QuarantineEntry } from '../../contract';
import { HealthCheckKind } from './classify-termination';
import { isGone } from './decide-sweep';
import { evidenceBody, evidenceKey } from './evidence';
import { keptTags, KeptTagValues, snapshotTags } from './kept-tags';
import type { InstanceFacts, QuarantineColour, QuarantinePolicy, QuarantinePorts, TargetHealthFacts, TerminationActivity } from './ports';
import { expiryFor, iso } from './retention';

/** A claimed instance to isolate. */
export interface IsolationRequest {
  readonly colour: QuarantineColour;
  readonly claim: QuarantineEntry;
  readonly check: HealthCheckKind;
  readonly cause: string;
  /** The group's activity terminating it (the cause's source), for the evidence. */
  readonly activity: TerminationActivity;
}

/**
 * Reasons of the load balancer that only say the group is taking the target out: AWS deregisters an instance from its
 * target groups and waits for the deregistration delay before the termination reaches `Terminating:Wait`, so by the
 * time the hook fires the target is draining, unused or no longer registered, and its reason says so rather than
 * why it failed. They are not the instance's reasons; the evidence keeps what the call returned all the same.
 */
export const DEREGISTRATION_REASONS: readonly string[] = ['Target.DeregistrationInProgress', 'Target.NotRegistered', 'Target.InvalidState'];

/** What isolation produced: the kept entry's new fields. */
export interface Isolated {
  readonly facts: InstanceFacts;
  readonly tags: KeptTagValues;
  /** `s3://` URI of the evidence. */
  readonly evidence: string;
  readonly snapshots?: readonly string[];
}

/** A step of isolation failed. */
export class IsolationError extends Error {
  constructor(
    public readonly step: string,
    detail: string,
  ) {
    super(`${step}: ${detail}`);
    this.name = 'IsolationError';
  }
}

/** Run `fn` as the named step, so a failure says where isolating stopped. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new IsolationError(name, err instanceof Error ? err.message : String(err));
  }
}

/** Isolate the claimed instance. @throws IsolationError */
export async function isolate(ports: QuarantinePorts, policy: QuarantinePolicy, req: IsolationRequest): Promise<Isolated> {
  const id = req.claim.instanceId;
  const { instances } = ports;
  const facts = await step('describe', () => instances.describe(id));
  if (isGone(facts.state)) throw new IsolationError('describe', `the instance is ${facts.state}: nothing to keep`);
  const targetHealth = await step('target health', () => instances.targetHealth(req.colour.targetGroupArn, id));
  // Usually done by the group already, before the hook (see DEREGISTRATION_REASONS). Kept all the same: it is
  // idempotent and harmless, and a kept instance must be out of the target group whatever the group did.
  await step('deregister', () => instances.deregister(req.colour.targetGroupArn, id));
  const tags = tagValues(req, facts, loadBalancerReason(targetHealth), ports.clock.now(), policy.retentionSeconds);
  await step('tag', () => instances.tag(id, keptTags(tags)));
  await step('security groups', () => instances.replaceSecurityGroups(id, [policy.securityGroupId]));
  const consoleOutput = await step('console output', () => instances.consoleOutput(id));
  const body = evidenceBody({
    service: policy.service,
    instanceId: id,
    colour: req.colour.colour,
    autoScalingGroupName: req.claim.autoScalingGroupName,
    lifecycleActionToken: req.claim.lifecycleActionToken,
    capturedAt: tags.since,
    cause: req.cause,
    check: req.check,
    activity: req.activity,
    ...(targetHealth ? { targetHealthAtHook: targetHealth } : {}),
    ...(facts.imageId ? { imageId: facts.imageId } : {}),
    instanceState: facts.state,
    originalSecurityGroups: facts.securityGroupIds,
    ...(consoleOutput !== undefined ? { consoleOutput } : {}),
  });
  const evidence = await step('evidence', () => ports.evidence.put(evidenceKey(policy.evidencePrefix, id), body));
  if (!policy.snapshots) return { facts, tags, evidence };
  const snapshots = await step('snapshot', () => instances.snapshot(id, snapshotTags(policy.service, req.colour.colour, tags)));
  return { facts, tags, evidence, snapshots };
}

/** The load balancer's reason worth telling (`<Reason>: <Description>`), none when it only speaks of deregistration. */
function loadBalancerReason(health: TargetHealthFacts | undefined): string | undefined {
  if (!health?.reason || DEREGISTRATION_REASONS.includes(health.reason)) return undefined;
  return health.description ? `${health.reason}: ${health.description}` : health.reason;
}

/** The reasons (the group's cause, then the load balancer's) and times, fixed once so tags and record agree. */
function tagValues(req: IsolationRequest, facts: InstanceFacts, targetReason: string | undefined, nowMs: number, retentionSeconds: number): KeptTagValues {
  return {
    reasons: [req.cause, ...(targetReason ? [`load balancer: ${targetReason}`] : [])],
    since: iso(nowMs),
    expiresAt: expiryFor(nowMs, retentionSeconds),
    ...(facts.imageId ? { imageId: facts.imageId } : {}),
    originalSecurityGroups: facts.securityGroupIds,
  };
}

/** The claim as a kept entry, with what isolation produced. */
export function keptEntry(claim: QuarantineEntry, isolated: Isolated): QuarantineEntry {
  const { tags } = isolated;
  return {
    ...claim,
    state: 'kept',
    since: tags.since,
    expiresAt: tags.expiresAt,
    reasons: tags.reasons,
    ...(tags.imageId ? { imageId: tags.imageId } : {}),
    originalSecurityGroups: tags.originalSecurityGroups,
    evidence: isolated.evidence,
    ...(isolated.snapshots ? { snapshots: isolated.snapshots } : {}),
  };
}
