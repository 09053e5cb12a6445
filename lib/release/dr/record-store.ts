import { DrRecord } from '../../contract';
import type { Clock } from '../ports';
import { DrEventType } from './events';
import { ConcurrentDrOperationError, DrLogger, DrSide, VersionedDrRecord } from './ports';
import { errorText } from './private/bounded';
import { RegionLink } from './private/region-link';

/** The DR record as written, without the generation the store assigns. */
export type DrRecordDraft = Omit<DrRecord, 'generation'>;

/** A write that reached no Region: the step it belongs to did not happen as far as the record knows. */
export class DrRecordUnwrittenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrRecordUnwrittenError';
  }
}

/**
 * The DR record over its two Region copies (docs/DISASTER-RECOVERY.md, "State machine"): reads take the highest
 * generation among the Regions that answer in time; writes go to every Region read, with generation + 1 and each
 * copy's own compare-and-set version. A copy that changed since it was read means another process is operating:
 * ConcurrentDrOperationError, and this process stops rather than overwrite. A Region whose write fails otherwise
 * is left out of later writes of this operation (its version is no longer known).
 */
export class DrRecordStore {
  private readonly versions = new Map<DrSide, number | undefined>();
  private record?: DrRecord;
  private generations: (number | undefined)[] = [];

  constructor(
    private readonly service: string,
    private readonly primaryRegion: string,
    private readonly links: readonly RegionLink[],
    private readonly clock: Clock,
    private readonly logger: DrLogger,
  ) {}

  /** The record as last read or written (undefined before the first read). */
  public get current(): DrRecord | undefined {
    return this.record;
  }

  /** Regions whose copy was read (and not since lost). */
  public get regions(): string[] {
    return this.links.filter((l) => this.versions.has(l.side)).map((l) => l.region);
  }

  /** Whether the last read found both copies at the same generation (a write that reached one Region leaves them apart). */
  public get inSync(): boolean {
    return this.generations.length === this.links.length && this.generations.every((g) => g === this.generations[0]);
  }

  /**
   * Read both copies; the newest generation wins. A service with no copy anywhere starts `normal` at generation 0.
   *
   * @throws RegionUnreachableError-like Error when neither Region answers
   */
  public async read(): Promise<DrRecord> {
    this.versions.clear();
    const reads = await Promise.all(this.links.map((link) => this.readCopy(link)));
    const answered = reads.filter((r): r is { side: DrSide; copy: VersionedDrRecord | undefined } => r !== undefined);
    if (answered.length === 0) {
      throw new DrRecordUnwrittenError(`the DR record of ${this.service} could not be read in either Region: check credentials and network, then run the command again`);
    }
    for (const r of answered) this.versions.set(r.side, r.copy?.version);
    this.generations = answered.map((r) => r.copy?.record.generation);
    const newest = answered
      .map((r) => r.copy?.record)
      .filter((r): r is DrRecord => r !== undefined)
      .sort((a, b) => b.generation - a.generation)[0];
    this.record = newest ?? { service: this.service, generation: 0, phase: 'normal', activeRegion: this.primaryRegion, since: this.clock.now() };
    this.logger.event({
      type: DrEventType.RECORD_READ,
      message: newest
        ? `DR record read from ${this.regions.join(', ')}: generation ${this.record.generation}, phase ${this.record.phase}`
        : `no DR record yet in ${this.regions.join(', ')} (never failed over): normal`,
      at: this.clock.now(),
    });
    return this.record;
  }

  /**
   * Write `draft` as the next generation to every Region read.
   *
   * @throws ConcurrentDrOperationError when any copy changed since it was read
   * @throws DrRecordUnwrittenError when no Region took the write
   */
  public async write(draft: DrRecordDraft): Promise<DrRecord> {
    if (!this.record) throw new Error('DrRecordStore.write before read');
    const next: DrRecord = { ...draft, generation: this.record.generation + 1 };
    const targets = this.links.filter((l) => this.versions.has(l.side));
    const results = await Promise.allSettled(targets.map((link) => link.recordCall('DR record write', (s) => s.record.write(next, this.versions.get(link.side)))));
    const written: string[] = [];
    let concurrent: ConcurrentDrOperationError | undefined;
    const failures: string[] = [];
    results.forEach((result, i) => {
      const link = targets[i];
      if (result.status === 'fulfilled') {
        this.versions.set(link.side, result.value);
        written.push(link.region);
        return;
      }
      this.versions.delete(link.side);
      if (result.reason instanceof ConcurrentDrOperationError) concurrent = result.reason;
      else failures.push(`${link.region}: ${errorText(result.reason)}`);
    });
    if (concurrent) throw new ConcurrentDrOperationError(`another process changed the DR record of ${this.service} (${concurrent.message}): it is operating; this one stops`);
    if (written.length === 0) throw new DrRecordUnwrittenError(`the DR record of ${this.service} could not be written in any Region (${failures.join('; ')})`);
    this.record = next;
    this.logger.event({
      type: DrEventType.RECORD_WRITTEN,
      message: `DR record generation ${next.generation} (${next.phase}${next.operation ? `, step ${next.operation.step}` : ''}) written to ${written.join(', ')}${failures.length ? `; not to ${failures.join('; ')}` : ''}`,
      at: this.clock.now(),
    });
    return next;
  }

  private async readCopy(link: RegionLink): Promise<{ side: DrSide; copy: VersionedDrRecord | undefined } | undefined> {
    try {
      return { side: link.side, copy: await link.recordCall('DR record read', (s) => s.record.read()) };
    } catch (err) {
      this.logger.event({
        type: DrEventType.REGION_UNREACHABLE,
        message: `the DR record copy in ${link.region} (${link.side}) could not be read: ${errorText(err)}`,
        at: this.clock.now(),
        region: link.region,
      });
      return undefined;
    }
  }
}
