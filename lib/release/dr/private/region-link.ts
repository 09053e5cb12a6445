import type { Clock } from '../../ports';
import { DrEventType } from '../events';
import { ConcurrentDrOperationError, DrLogger, DrSide, RegionService } from '../ports';
import { bounded, errorText, RegionUnreachableError } from './bounded';

/** How the engine reaches one Region during one operation. */
export interface RegionLinkOptions {
  readonly side: DrSide;
  readonly service: RegionService;
  readonly clock: Clock;
  readonly logger: DrLogger;
  /** Bound on every call (record calls are always bounded). */
  readonly timeoutMs: number;
  /** Bound every call, not only the record's (the primary: it may be the Region that is down). */
  readonly boundAll: boolean;
  /**
   * After one failure or timeout, make no further call to this Region in this operation (an outage: the primary
   * is not tried beyond one timeout).
   */
  readonly giveUpAfterFailure: boolean;
}

/**
 * Calls into one Region, bounded by the Region timeout, remembering a Region that went unreachable so that an
 * outage failover never waits on the dead Region twice.
 */
export class RegionLink {
  /** Why this Region is treated as unreachable for the rest of the operation, once it is. */
  public down?: string;

  /** See `RegionLinkOptions.giveUpAfterFailure` (set when a resumed operation turns out to be an outage one). */
  public giveUpAfterFailure: boolean;

  constructor(private readonly options: RegionLinkOptions) {
    this.giveUpAfterFailure = options.giveUpAfterFailure;
  }

  public get side(): DrSide {
    return this.options.side;
  }

  public get region(): string {
    return this.options.service.region;
  }

  public get service(): RegionService {
    return this.options.service;
  }

  /** A call into the Region (bounded when `boundAll`). */
  public call<T>(what: string, fn: (service: RegionService) => Promise<T>): Promise<T> {
    return this.run(what, fn, this.options.boundAll);
  }

  /** A call of the Region's record copy: always bounded. */
  public recordCall<T>(what: string, fn: (service: RegionService) => Promise<T>): Promise<T> {
    return this.run(what, fn, true);
  }

  private async run<T>(what: string, fn: (service: RegionService) => Promise<T>, bound: boolean): Promise<T> {
    if (this.down !== undefined) throw new RegionUnreachableError(`${this.region} is unreachable (${this.down})`);
    const label = `${this.region} ${what}`;
    try {
      return bound ? await bounded(this.options.clock, this.options.timeoutMs, label, () => fn(this.service)) : await fn(this.service);
    } catch (err) {
      if (this.giveUpAfterFailure && !(err instanceof ConcurrentDrOperationError)) {
        this.down = errorText(err);
        this.options.logger.event({
          type: DrEventType.REGION_UNREACHABLE,
          message: `${this.region} (${this.side}) is unreachable: ${this.down}; it is not called again in this operation`,
          at: this.options.clock.now(),
          region: this.region,
        });
      }
      throw err;
    }
  }
}
