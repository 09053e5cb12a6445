import { COLOUR_NAMES, descriptorParameterName, QuarantineDescriptor, ServiceDescriptor } from '../../contract';
import { Clock } from '../../release/ports';
import {
  AutoScalingQuarantinePort,
  EvidenceStore,
  InstanceQuarantinePort,
  QuarantineNotifier,
  QuarantinePolicy,
  QuarantinePorts,
  ReplacementGauge,
} from '../../release/quarantine/ports';
import { AwsClients } from '../clients';
import { SystemClock } from '../system-clock';
import { DynamoQuarantineRecordStore } from './dynamo-quarantine-record-store';
import { once } from '../private/once';

/** The service's descriptor has no `healing.quarantine` section: it only replaces sick instances. */
export class QuarantineNotConfiguredError extends Error {
  constructor(public readonly service: string) {
    super(
      `Service ${service} does not quarantine sick instances: its descriptor (${descriptorParameterName(service)}) has no healing.quarantine section. ` +
        'Set `healing: Healing.quarantine()` on its BlueGreenService and deploy (cdk deploy).',
    );
    this.name = 'QuarantineNotConfiguredError';
  }
}

/**
 * The descriptor's quarantine section.
 *
 * @throws QuarantineNotConfiguredError when the service has none
 */
export function quarantineSection(descriptor: ServiceDescriptor): QuarantineDescriptor {
  const section = descriptor.healing?.quarantine;
  if (!section) throw new QuarantineNotConfiguredError(descriptor.service);
  return section;
}

/**
 * The settings the quarantine controller works by, from the descriptor's `healing.quarantine` and its colours.
 *
 * @throws QuarantineNotConfiguredError when the service has no quarantine
 */
export function quarantinePolicy(descriptor: ServiceDescriptor): QuarantinePolicy {
  const q = quarantineSection(descriptor);
  return {
    service: descriptor.service,
    region: descriptor.region,
    keepPerColour: q.keepPerColour,
    keepPerService: q.keepPerService,
    retentionSeconds: q.retentionSeconds,
    snapshots: q.snapshots,
    flappingReplacements: q.flappingReplacements,
    flappingWindowSeconds: q.flappingWindowSeconds,
    hookName: q.hookName,
    hookTimeoutSeconds: q.hookTimeoutSeconds,
    securityGroupId: q.securityGroupId,
    evidencePrefix: q.evidencePrefix.endsWith('/') ? q.evidencePrefix : `${q.evidencePrefix}/`,
    colours: COLOUR_NAMES.map((colour) => ({
      colour,
      autoScalingGroupName: descriptor.colours[colour].autoScalingGroupName,
      targetGroupArn: descriptor.colours[colour].targetGroupArn,
    })),
  };
}

/** Options of `createQuarantinePorts`. */
export interface CreateQuarantinePortsOptions {
  /** @default - wall-clock time */
  readonly clock?: Clock;
  /**
   * The Auto Scaling side, instead of the SDK's (tests stand in for what an emulator lacks).
   *
   * @default - an AutoScalingQuarantine, loaded on first use
   */
  readonly autoScaling?: AutoScalingQuarantinePort;
}

/**
 * Every port of the quarantine controller, backed by the service's resources: the record in the release-state
 * table, its two groups, its instances and target groups, the evidence bucket and the topic named in the descriptor.
 *
 * Makes no call itself. Only the record's adapter (DynamoDB) loads with this module; the others load with their SDK
 * clients on first use, so `bluegreen quarantine` (which lists the record) does not load EC2's client.
 *
 * @throws QuarantineNotConfiguredError when the service has no quarantine
 */
export function createQuarantinePorts(clients: AwsClients, descriptor: ServiceDescriptor, options: CreateQuarantinePortsOptions = {}): QuarantinePorts {
  const q = quarantineSection(descriptor);
  return {
    store: DynamoQuarantineRecordStore.fromClients(clients, descriptor.releaseStateTable, descriptor.service),
    autoScaling: options.autoScaling ?? lazyAutoScaling(clients),
    instances: lazyInstances(clients),
    evidence: lazyEvidence(clients, q.evidenceBucket),
    notifier: lazyNotifier(clients, descriptor.topicArn),
    gauge: lazyGauge(clients, descriptor.service),
    clock: options.clock ?? new SystemClock(),
  };
}

function lazyAutoScaling(clients: AwsClients): AutoScalingQuarantinePort {
  const port = once(async () => (await import('./auto-scaling-quarantine')).AutoScalingQuarantine.fromClients(clients));
  return {
    terminationActivity: async (group, instanceId) => (await port()).terminationActivity(group, instanceId),
    groupDeleting: async (group) => (await port()).groupDeleting(group),
    completeLifecycleAction: async (event, result) => (await port()).completeLifecycleAction(event, result),
    terminateInstance: async (group, instanceId) => (await port()).terminateInstance(group, instanceId),
    retainedInstances: async (group) => (await port()).retainedInstances(group),
  };
}

function lazyInstances(clients: AwsClients): InstanceQuarantinePort {
  const port = once(async () => (await import('./ec2-instance-quarantine')).Ec2InstanceQuarantine.fromClients(clients));
  return {
    describe: async (instanceId) => (await port()).describe(instanceId),
    targetHealth: async (targetGroupArn, instanceId) => (await port()).targetHealth(targetGroupArn, instanceId),
    deregister: async (targetGroupArn, instanceId) => (await port()).deregister(targetGroupArn, instanceId),
    replaceSecurityGroups: async (instanceId, groups) => (await port()).replaceSecurityGroups(instanceId, groups),
    tag: async (instanceId, tags) => (await port()).tag(instanceId, tags),
    consoleOutput: async (instanceId) => (await port()).consoleOutput(instanceId),
    snapshot: async (instanceId, tags) => (await port()).snapshot(instanceId, tags),
  };
}

function lazyEvidence(clients: AwsClients, bucket: string): EvidenceStore {
  const port = once(async () => (await import('./s3-evidence-store')).S3EvidenceStore.fromClients(clients, bucket));
  return { put: async (key, body) => (await port()).put(key, body) };
}

function lazyNotifier(clients: AwsClients, topicArn: string): QuarantineNotifier {
  const port = once(async () => (await import('./sns-quarantine-notifier')).SnsQuarantineNotifier.fromClients(clients, topicArn));
  return { notify: async (subject, message) => (await port()).notify(subject, message) };
}

function lazyGauge(clients: AwsClients, service: string): ReplacementGauge {
  const port = once(async () => (await import('./cloudwatch-replacement-gauge')).CloudWatchReplacementGauge.fromClients(clients, service));
  return { publish: async (counts) => (await port()).publish(counts) };
}
