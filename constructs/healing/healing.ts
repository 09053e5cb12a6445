import { Duration, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { propError } from '../private/validate';
import {
  QUARANTINE_DEFAULT_RETENTION_SECONDS,
  QUARANTINE_HOOK_NAME,
  QUARANTINE_MAX_RETENTION_SECONDS,
  QUARANTINE_MIN_RETENTION_SECONDS,
  QuarantineDescriptor,
} from '../../lib/contract';

/** Options of `Healing.quarantine()`. */
export interface QuarantineOptions {
  /**
   * Sick instances kept per colour at most (0 to 10). With 0 nothing is kept, but replacements are still counted
   * for the flapping alarm. Beyond the cap, sick instances terminate as usual.
   *
   * @default 1
   */
  readonly keepPerColour?: number;
  /**
   * Sick instances kept for the whole service at most (both colours together), from `keepPerColour` to twice it.
   *
   * @default - 2, raised to `keepPerColour` or lowered to twice it where needed
   */
  readonly keepPerService?: number;
  /**
   * How long a kept instance is kept before it is terminated (1 hour to 7 days). `bluegreen quarantine extend`
   * extends it up to 7 days after it was kept. Kept instances are billed like any running instance.
   *
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * Whether the EBS volumes of a kept instance are snapshotted (billed until you delete the snapshots).
   *
   * @default false
   */
  readonly snapshots?: boolean;
  /**
   * Health-driven replacements of one colour within `flappingWindow` that put the colour's flapping alarm (part of
   * its release gate) in ALARM (2 to 100).
   *
   * @default 3
   */
  readonly flappingReplacements?: number;
  /**
   * The window the flapping alarm counts replacements in: a whole number of minutes from 5 to 60.
   *
   * @default Duration.minutes(15)
   */
  readonly flappingWindow?: Duration;
}

/** The quarantine a service deploys: `QuarantineOptions` with every default applied. */
export interface QuarantineSettings {
  /** Sick instances kept per colour at most. */
  readonly keepPerColour: number;
  /** Sick instances kept for the whole service at most. */
  readonly keepPerService: number;
  /** How long a kept instance is kept. */
  readonly retention: Duration;
  /** Whether the EBS volumes of a kept instance are snapshotted. */
  readonly snapshots: boolean;
  /** Health-driven replacements of one colour within `flappingWindow` that raise its flapping alarm. */
  readonly flappingReplacements: number;
  /** The window the flapping alarm counts replacements in. */
  readonly flappingWindow: Duration;
}

/** Heartbeat timeout of the termination hook: how long a termination waits at most for the quarantine function. */
const HOOK_HEARTBEAT = Duration.minutes(5);

/**
 * How a service's colours heal when an instance fails its health checks (ELB or EC2).
 *
 * Both kinds replace a sick instance at once and launch the replacement before terminating it (an instance
 * maintenance policy of 100 % to 200 % healthy), so serving capacity does not dip where the group's maximum allows.
 * `quarantine` also keeps a few sick instances, isolated and with evidence captured, for investigation.
 *
 * @example
 * new BlueGreenService(this, 'Web', {
 *   serviceName: 'web',
 *   manifest: ReleaseManifest.fromFile('releases/web.json'),
 *   healing: Healing.quarantine({ keepPerColour: 1, retention: Duration.hours(12) }),
 * });
 */
export class Healing {
  /**
   * Replace sick instances, launching the replacement first; keep none. The default.
   */
  public static replace(): Healing {
    return new Healing('replace', undefined);
  }

  /**
   * Replace sick instances at once, and keep up to `keepPerColour` (at most `keepPerService` for the service) in
   * quarantine instead of terminating them: a termination lifecycle hook on both colours' groups hands each
   * health-driven termination to a function, which takes the instance out of its target group, moves it to a
   * security group with no inbound and only HTTPS outbound (Session Manager), tags it with the reasons, captures its
   * console output and the group's activity to the service's access-logs bucket, notifies the service's topic and
   * abandons the hook, which the groups' instance lifecycle policy turns into a Retained instance outside desired
   * capacity. Kept instances are terminated after `retention`.
   *
   * Only health-driven terminations are kept: scale-in, instance refresh, rolling updates, a colour going to standby
   * and stack deletion terminate as usual. Any failure while quarantining lets the termination go on; a function
   * that does not answer delays a termination by at most 5 minutes.
   *
   * Repeated replacements of one colour (`flappingReplacements` within `flappingWindow`) raise a flapping alarm in
   * the colour's gate (`ServiceAlarms`), so a release whose instances keep dying rolls back.
   *
   * @throws when an option is out of range
   */
  public static quarantine(options: QuarantineOptions = {}): Healing {
    return new Healing('quarantine', resolveQuarantine(options));
  }

  private constructor(
    /** `replace` or `quarantine`. */
    public readonly name: string,
    /**
     * The quarantine settings, with defaults applied.
     *
     * @default - none: sick instances are only replaced
     */
    public readonly quarantineSettings?: QuarantineSettings,
  ) {}

  /** Whether sick instances are kept in quarantine. */
  public get quarantines(): boolean {
    return this.quarantineSettings !== undefined;
  }

  public toString(): string {
    return this.name;
  }

  /**
   * What the colours' Auto Scaling groups get at construction: the maintenance policy (launch before terminating),
   * and with quarantine the instance lifecycle policy that retains an instance whose termination hook is abandoned.
   *
   * @internal
   */
  public _groupProps(): GroupHealingProps {
    return {
      minHealthyPercentage: 100,
      maxHealthyPercentage: 200,
      ...(this.quarantines
        ? { instanceLifecyclePolicy: { retentionTriggers: { terminateHookAbandon: autoscaling.TerminateHookAbandonAction.RETAIN } } }
        : {}),
    };
  }

  /**
   * With quarantine, add the termination lifecycle hook to `group`. Without a notification target: EventBridge
   * receives the lifecycle action. CONTINUE by default, so an unanswered hook terminates the instance (fail open).
   *
   * @internal
   */
  public _addHook(group: autoscaling.AutoScalingGroup): autoscaling.LifecycleHook | undefined {
    if (!this.quarantines) return undefined;
    return group.addLifecycleHook('QuarantineHook', {
      lifecycleHookName: QUARANTINE_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      defaultResult: autoscaling.DefaultResult.CONTINUE,
      heartbeatTimeout: HOOK_HEARTBEAT,
    });
  }

  /**
   * The descriptor's `healing.quarantine` section, or undefined without quarantine.
   *
   * @internal
   */
  public _descriptor(where: QuarantineLocation): QuarantineDescriptor | undefined {
    const s = this.quarantineSettings;
    if (!s) return undefined;
    return {
      keepPerColour: s.keepPerColour,
      keepPerService: s.keepPerService,
      retentionSeconds: s.retention.toSeconds(),
      snapshots: s.snapshots,
      flappingReplacements: s.flappingReplacements,
      flappingWindowSeconds: s.flappingWindow.toSeconds(),
      hookName: QUARANTINE_HOOK_NAME,
      hookTimeoutSeconds: HOOK_HEARTBEAT.toSeconds(),
      ...where,
    };
  }
}

/** Auto Scaling group props set by the healing kind. */
interface GroupHealingProps {
  readonly minHealthyPercentage: number;
  readonly maxHealthyPercentage: number;
  readonly instanceLifecyclePolicy?: autoscaling.InstanceLifecyclePolicy;
}

/** Where the quarantine's resources are, for the descriptor. */
interface QuarantineLocation {
  readonly securityGroupId: string;
  readonly evidenceBucket: string;
  readonly evidencePrefix: string;
}

function resolveQuarantine(options: QuarantineOptions): QuarantineSettings {
  const keepPerColour = options.keepPerColour ?? 1;
  checkInt('keepPerColour', keepPerColour, 0, 10, 'must be a whole number from 0 to 10 (0 keeps none but still counts replacements for the flapping alarm).');
  const keepPerService = options.keepPerService ?? defaultKeepPerService(keepPerColour);
  checkInt('keepPerService', keepPerService, 0, 20, 'must be a whole number from 0 to 20.');
  if (options.keepPerService !== undefined && !Token.isUnresolved(keepPerColour) && !Token.isUnresolved(keepPerService)) {
    if (keepPerService < keepPerColour) {
      throw propError('keepPerService', keepPerService, `must be at least keepPerColour (${keepPerColour}), or one colour could never keep its share; raise keepPerService or lower keepPerColour.`);
    }
    if (keepPerService > 2 * keepPerColour) {
      throw propError('keepPerService', keepPerService, `can never be reached: two colours keep at most 2 x keepPerColour = ${2 * keepPerColour}; lower keepPerService or raise keepPerColour.`);
    }
  }

  const retention = options.retention ?? Duration.seconds(QUARANTINE_DEFAULT_RETENTION_SECONDS);
  if (!retention.isUnresolved()) {
    const seconds = retention.toSeconds();
    if (seconds < QUARANTINE_MIN_RETENTION_SECONDS || seconds > QUARANTINE_MAX_RETENTION_SECONDS) {
      throw propError('retention', retention, `must be from ${hours(QUARANTINE_MIN_RETENTION_SECONDS)} to ${hours(QUARANTINE_MAX_RETENTION_SECONDS)}, e.g. Duration.hours(24).`);
    }
  }

  const flappingReplacements = options.flappingReplacements ?? 3;
  checkInt('flappingReplacements', flappingReplacements, 2, 100, 'must be a whole number from 2 to 100 (one replacement is ordinary healing, not flapping).');

  const flappingWindow = options.flappingWindow ?? Duration.minutes(15);
  if (!flappingWindow.isUnresolved()) {
    const minutes = flappingWindow.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 5 || minutes > 60) {
      throw propError('flappingWindow', flappingWindow, 'must be a whole number of minutes from 5 to 60, e.g. Duration.minutes(15).');
    }
  }

  return { keepPerColour, keepPerService, retention, snapshots: options.snapshots ?? false, flappingReplacements, flappingWindow };
}

/** 2, but at least `keepPerColour` (so each colour can keep its share) and at most twice it (reachable). */
function defaultKeepPerService(keepPerColour: number): number {
  if (Token.isUnresolved(keepPerColour)) return 2;
  return Math.min(Math.max(2, keepPerColour), 2 * keepPerColour);
}

function checkInt(prop: string, value: number, min: number, max: number, fix: string): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) throw propError(prop, value, fix);
}

function hours(seconds: number): string {
  const h = seconds / 3600;
  return h % 24 === 0 && h >= 24 ? `${h / 24} days` : `${h} hour${h === 1 ? '' : 's'}`;
}
