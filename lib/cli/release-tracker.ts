import { formatWeights, ReleaseEvent, ReleaseEventType, Weights } from '../release';
import type { InterruptSignal } from './io';

/** What a command was doing to a release, as its engine events told. */
type Phase = 'releasing' | 'rolling-back' | 'promoting';

/** Events after which this process has changed something in AWS (or claimed the release record). */
const CHANGES: Readonly<Record<string, Phase>> = {
  [ReleaseEventType.RELEASE_STARTED]: 'releasing',
  [ReleaseEventType.RESUMED]: 'releasing',
  [ReleaseEventType.TAKEN_OVER]: 'releasing',
  [ReleaseEventType.STEP_STARTED]: 'releasing',
  [ReleaseEventType.ROLLBACK_STARTED]: 'rolling-back',
  [ReleaseEventType.PROMOTION_STARTED]: 'promoting',
  [ReleaseEventType.APPROVED]: 'releasing',
};

/** Events after which the release is no longer this process's to finish. */
const ENDS: ReadonlySet<string> = new Set([
  ReleaseEventType.PROMOTED,
  ReleaseEventType.ROLLED_BACK,
  ReleaseEventType.ABORTED,
  ReleaseEventType.PREEMPTED,
  ReleaseEventType.REFUSED,
  ReleaseEventType.PREFLIGHT_FAILED,
  ReleaseEventType.ROLLBACK_FAILED,
  ReleaseEventType.SCALED_DOWN,
  // Paused: the release waits for a person, guarded; nothing is left half-done by this process.
  ReleaseEventType.AWAITING_APPROVAL,
]);

/** Where an interrupted command leaves the release, and what to run next. */
export interface InterruptReport {
  /** Whether a release is left in progress by this command (exit "paused"). */
  readonly leftInProgress: boolean;
  readonly message: string;
  /** Commands to run next, with the service name. */
  readonly next: string[];
  readonly releaseId?: string;
  /** The last step verified, 1-based, and of how many. */
  readonly step?: number;
  readonly steps?: number;
  /** The weights last verified, or last set when none was verified yet. */
  readonly weights?: Weights;
}

/**
 * Follows a command's engine events, so that a signal can say where the release stands without asking AWS (which
 * may be what is hanging): which release, the last verified step and weights, and whether this process had started
 * changing anything.
 */
export class ReleaseTracker {
  private phase?: Phase;
  private ended?: ReleaseEvent;
  private releaseId?: string;
  private verified?: { step?: number; steps?: number; weights: Weights };
  private target?: Weights;
  private steps?: number;
  private stable?: string;

  public event(e: ReleaseEvent): void {
    this.releaseId = /\b(\d{8}T\d{6}Z-[a-z0-9]+)\b/.exec(e.message)?.[1] ?? this.releaseId;
    if (e.steps !== undefined) this.steps = e.steps;
    const phase = CHANGES[e.type];
    if (phase && !(phase === 'releasing' && this.phase && this.phase !== 'releasing')) this.phase = phase;
    if (e.type === ReleaseEventType.RELEASE_STARTED && e.weights) this.stable = e.weights.blue === 100 ? 'blue' : e.weights.green === 100 ? 'green' : undefined;
    if (e.type === ReleaseEventType.ROLLBACK_STARTED) this.stable = / to (blue|green)\b/.exec(e.message)?.[1] ?? this.stable;
    if (e.type === ReleaseEventType.STEP_STARTED || e.type === ReleaseEventType.ROLLBACK_STARTED) this.target = e.weights ?? this.target;
    if (e.type === ReleaseEventType.WEIGHTS_VERIFIED && e.weights) this.verified = { step: e.step, steps: e.steps, weights: e.weights };
    if (ENDS.has(e.type)) this.ended = e;
  }

  /** What to print when `signal` stops the command `command` of `service`. */
  public interrupted(signal: InterruptSignal, command: string, service: string): InterruptReport {
    const by = `Interrupted (${signal})`;
    const id = this.releaseId ? ` ${this.releaseId}` : '';
    const status = `bluegreen status ${service}`;
    if (!this.phase) {
      // Run it again: a rollback or abort above all (the command line's other flags are the user's to repeat).
      const again = ['release', 'resume', 'promote', 'rollback', 'abort', 'scale-down'].includes(command) ? [`bluegreen ${command} ${service}`] : [];
      const next = command === 'rollback' || command === 'abort' ? [...again, status] : [status, ...again];
      return { leftInProgress: false, message: `${by} before anything changed.`, next };
    }
    if (this.ended) {
      return {
        leftInProgress: false,
        message: `${by} after the release${id} ended (${this.ended.message.replace(/\.$/, '')}); the manifest may not be up to date.`,
        next: [`bluegreen sync-manifest ${service}`],
        releaseId: this.releaseId,
      };
    }
    const where = this.where();
    const fields = { leftInProgress: true, releaseId: this.releaseId, step: this.verified?.step, steps: this.verified?.steps ?? this.steps, weights: this.verified?.weights ?? this.target };
    const back = this.stable ? ` (100 % back to ${this.stable})` : '';
    switch (this.phase) {
      case 'rolling-back':
        return {
          ...fields,
          message: `${by} while rolling back${id}${this.stable ? ` to ${this.stable}` : ''}: the rollback may not be verified yet. Run it again (it is safe to repeat).`,
          next: [`bluegreen rollback ${service}`],
        };
      case 'promoting':
        return {
          ...fields,
          message: `${by} while promoting${id}${where}: the promotion may not be recorded yet, and the release stays in progress.`,
          next: [`bluegreen promote ${service}`, `bluegreen rollback ${service}`],
        };
      default:
        return {
          ...fields,
          message: `${by}: release${id} stays in progress${where}; its traffic stays there until someone resumes it, or rolls it back${back}.`,
          next: [`bluegreen resume ${service}`, `bluegreen rollback ${service}`],
        };
    }
  }

  /**
   * What to run after an error stopped the command part way, with the service name: empty when the command had not
   * started changing anything, or when what it started had already ended.
   */
  public nextAfterError(command: string, service: string): string[] {
    if (!this.phase || this.ended) return [];
    return this.interrupted('SIGTERM', command, service).next;
  }

  private where(): string {
    const v = this.verified;
    if (v?.step !== undefined && v.steps !== undefined) return ` at step ${v.step}/${v.steps} (${formatWeights(v.weights)}, verified)`;
    if (this.target) return ` before its first verified step (weights being set to ${formatWeights(this.target)})`;
    return ' before its first step';
  }
}
