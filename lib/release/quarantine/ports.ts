/**
 * Ports of the quarantine controller (lib/release/quarantine). Interfaces only: lib/aws/quarantine implements them
 * with the SDK, tests with fakes. Nothing here imports an SDK.
 */
import type { ColourName, QuarantineRecord } from '../../contract';
import type { Clock } from '../ports';

export type { QuarantineRecord, QuarantineEntry, ReplacementMark } from '../../contract';

/** The record with its compare-and-set version. */
export interface VersionedQuarantineRecord {
  readonly record: QuarantineRecord;
  readonly version: number;
}

/** Raised by `QuarantineRecordStore.write` when the record changed since it was read. */
export class ConcurrentQuarantineUpdateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentQuarantineUpdateError';
  }
}

/** The `<service>#quarantine` item of the release-state table. */
export interface QuarantineRecordStore {
  /** The record, or undefined when none was ever written. */
  read(): Promise<VersionedQuarantineRecord | undefined>;
  /**
   * Write `record` if the stored version is still `expectedVersion` (undefined: none stored yet).
   *
   * @returns the new version
   * @throws ConcurrentQuarantineUpdateError when it changed
   */
  write(record: QuarantineRecord, expectedVersion: number | undefined): Promise<number>;
}

/** A termination lifecycle action waiting in `Terminating:Wait`, as EventBridge delivers it. */
export interface TerminationEvent {
  readonly autoScalingGroupName: string;
  readonly instanceId: string;
  readonly lifecycleHookName: string;
  readonly lifecycleActionToken: string;
}

/** How the group ended a lifecycle action. */
export type LifecycleResult = 'CONTINUE' | 'ABANDON';

/**
 * The group's scaling activity that terminates an instance ("Terminating EC2 instance: <id>"), as evidence and for
 * its Cause.
 */
export interface TerminationActivity {
  /** Why the group terminates it (empty when the group gave none). */
  readonly cause: string;
  /** `Terminating EC2 instance: <id>`. */
  readonly description?: string;
  /** When the activity started (ISO 8601). */
  readonly startTime?: string;
  /** e.g. `WaitingForTerminateLifecycleAction`, `InProgress`, `Successful`. */
  readonly statusCode?: string;
  readonly statusMessage?: string;
  /** The activity's Details, the JSON string as AWS gives it (Subnet ID, Availability Zone, ...). */
  readonly details?: string;
}

/** The Auto Scaling side. */
export interface AutoScalingQuarantinePort {
  /**
   * The group's latest scaling activity terminating `instanceId` ("Terminating EC2 instance: <id>"), undefined when
   * there is none.
   */
  terminationActivity(autoScalingGroupName: string, instanceId: string): Promise<TerminationActivity | undefined>;
  /** Whether the group is being deleted (its status is `Delete in progress`, or it is gone). */
  groupDeleting(autoScalingGroupName: string): Promise<boolean>;
  /**
   * End the lifecycle action. An action that is no longer waiting (already completed, timed out) is not an error:
   * returns false then, true when this call ended it.
   */
  completeLifecycleAction(event: TerminationEvent, result: LifecycleResult): Promise<boolean>;
  /** Terminate a retained instance (TerminateInstanceInAutoScalingGroup, desired capacity unchanged). Gone: no error. */
  terminateInstance(autoScalingGroupName: string, instanceId: string): Promise<void>;
  /** Instances of the group in the `Retained` lifecycle state. */
  retainedInstances(autoScalingGroupName: string): Promise<string[]>;
}

/** What the EC2 side knows of an instance. */
export interface InstanceFacts {
  readonly instanceId: string;
  /** `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`; `gone` when EC2 no longer lists it. */
  readonly state: string;
  readonly imageId?: string;
  readonly securityGroupIds: readonly string[];
}

/** What DescribeTargetHealth says of an instance's target. */
export interface TargetHealthFacts {
  /** `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`. */
  readonly state?: string;
  /** e.g. `Target.ResponseCodeMismatch`, `Target.DeregistrationInProgress`. */
  readonly reason?: string;
  readonly description?: string;
}

/** The EC2 and load balancer side of isolating an instance. */
export interface InstanceQuarantinePort {
  describe(instanceId: string): Promise<InstanceFacts>;
  /** The target's health in the target group, undefined when the instance is not registered there. */
  targetHealth(targetGroupArn: string, instanceId: string): Promise<TargetHealthFacts | undefined>;
  /** Take it out of the target group (no error when it is not registered). */
  deregister(targetGroupArn: string, instanceId: string): Promise<void>;
  /** Replace all its security groups with `securityGroupIds`. */
  replaceSecurityGroups(instanceId: string, securityGroupIds: readonly string[]): Promise<void>;
  tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Its console output (decoded), undefined when EC2 has none yet. */
  consoleOutput(instanceId: string): Promise<string | undefined>;
  /** Snapshot its EBS volumes, tagged with `tags`: the snapshot ids. */
  snapshot(instanceId: string, tags: Readonly<Record<string, string>>): Promise<string[]>;
}

/** Where evidence goes (the service's log bucket). */
export interface EvidenceStore {
  /** Write `body` (JSON) under `key`: the `s3://` URI. */
  put(key: string, body: string): Promise<string>;
}

/** The service's SNS topic. */
export interface QuarantineNotifier {
  notify(subject: string, message: string): Promise<void>;
}

/** The flapping gauge (see HEALING_METRIC). */
export interface ReplacementGauge {
  publish(counts: Readonly<Record<ColourName, number>>): Promise<void>;
}

/** One colour's resources. */
export interface QuarantineColour {
  readonly colour: ColourName;
  readonly autoScalingGroupName: string;
  readonly targetGroupArn: string;
}

/** The settings the controller works by (from the descriptor's `healing.quarantine`). */
export interface QuarantinePolicy {
  readonly service: string;
  /**
   * The service's region, for the commands notices print (`aws ssm start-session --region`).
   *
   * @default - the commands name no region (the operator's default applies)
   */
  readonly region?: string;
  readonly keepPerColour: number;
  readonly keepPerService: number;
  readonly retentionSeconds: number;
  readonly snapshots: boolean;
  readonly flappingReplacements: number;
  readonly flappingWindowSeconds: number;
  readonly hookName: string;
  /** A claim still `isolating` after this long is stale (its hook has timed out and continued). */
  readonly hookTimeoutSeconds: number;
  readonly securityGroupId: string;
  /** Key prefix of the evidence, ending in `/`. */
  readonly evidencePrefix: string;
  readonly colours: readonly QuarantineColour[];
}

/** Everything the controller needs. */
export interface QuarantinePorts {
  readonly store: QuarantineRecordStore;
  readonly autoScaling: AutoScalingQuarantinePort;
  readonly instances: InstanceQuarantinePort;
  readonly evidence: EvidenceStore;
  readonly notifier: QuarantineNotifier;
  readonly gauge: ReplacementGauge;
  readonly clock: Clock;
}
