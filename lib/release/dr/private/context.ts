import { DrOperation, DrPhase, DrRecord } from '../../../contract';
import type { Clock } from '../../ports';
import { DrEventType } from '../events';
import { DrPorts, DrSide } from '../ports';
import { DrRecordDraft, DrRecordStore } from '../record-store';
import { DrEngineOptions } from '../types';
import { RegionLink } from './region-link';

/** The engine's settings with defaults applied. */
export interface DrSettings {
  readonly service: string;
  readonly owner: string;
  readonly healthyTimeoutMs: number;
  readonly dnsTimeoutMs: number;
  readonly pollMs: number;
  readonly regionTimeoutMs: number;
  readonly deadlineAt?: number;
}

/** How often a long wait rewrites the record so that watchers see the operation alive (their lease is 2 min). */
export const HEARTBEAT_MS = 30_000;

/** The deadline came: stop at this safe point and leave the operation in the record. */
export class DeadlineReached extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineReached';
  }
}

/** How a wait ended. */
export type WaitResult = 'done' | 'timeout';

/** One poll of a wait: whether the condition holds, and what was seen (for progress output). */
export interface PollResult {
  readonly done: boolean;
  readonly seen: string;
}

/** A capacity reading, for a drill's report. */
export type CapacitySampler = (side: DrSide, desired: number, healthy: number) => void;

/**
 * What one DR operation (or one status read) works with: the Region links, the record store, the clock, events,
 * waits with heartbeats and the deadline.
 */
export class DrContext {
  public readonly primary: RegionLink;
  public readonly standby: RegionLink;
  public readonly store: DrRecordStore;
  public sampler?: CapacitySampler;
  /** The operation as last written or read by this context (kept after a phase write clears it: its timeline). */
  public lastOperation?: DrOperation;
  /** Whether this context wrote the record (before that, a failure changed nothing). */
  public wrote = false;

  constructor(
    public readonly ports: DrPorts,
    public readonly options: DrEngineOptions,
    public readonly settings: DrSettings,
    /** An outage: the primary is given up on after one failure or timeout. */
    public outage: boolean,
  ) {
    const common = { clock: ports.clock, logger: ports.logger, timeoutMs: settings.regionTimeoutMs };
    this.primary = new RegionLink({ ...common, side: 'primary', service: ports.primary, boundAll: true, giveUpAfterFailure: outage });
    this.standby = new RegionLink({ ...common, side: 'standby', service: ports.standby, boundAll: false, giveUpAfterFailure: false });
    this.store = new DrRecordStore(settings.service, options.dr.primaryRegion, [this.primary, this.standby], ports.clock, ports.logger);
  }

  public get clock(): Clock {
    return this.ports.clock;
  }

  public now(): number {
    return this.ports.clock.now();
  }

  public get service(): string {
    return this.settings.service;
  }

  public link(side: DrSide): RegionLink {
    return side === 'primary' ? this.primary : this.standby;
  }

  public log(type: DrEventType, message: string, region?: string): void {
    this.ports.logger.event({ type, message, at: this.now(), ...(region ? { region } : {}) });
  }

  /** The record as last read or written. */
  public get record(): DrRecord {
    const r = this.store.current;
    if (!r) throw new Error('DrContext.record before the record was read');
    return r;
  }

  /** The operation in the record. */
  public get operation(): DrOperation {
    const op = this.record.operation;
    if (!op) throw new Error(`the DR record of ${this.service} has no operation in flight`);
    return op;
  }

  /** Read the record from both Regions; in an outage, a primary whose copy did not answer is not called again. */
  public async readRecord(): Promise<DrRecord> {
    const record = await this.store.read();
    if (record.operation) this.lastOperation = record.operation;
    if (this.outage && !this.store.regions.includes(this.primary.region)) this.primary.down ??= 'its DR record copy did not answer';
    return record;
  }

  /** Treat the operation as an outage one: the primary is given up on after one failure (and at once if its copy did not answer). */
  public useOutage(): void {
    this.outage = true;
    this.primary.giveUpAfterFailure = true;
    if (this.store.current && !this.store.regions.includes(this.primary.region)) this.primary.down ??= 'its DR record copy did not answer';
  }

  /** Write the record with `patch` over the current one. */
  public async write(patch: Partial<DrRecordDraft>): Promise<DrRecord> {
    const { generation: _g, ...current } = this.record;
    const written = await this.store.write({ ...current, ...patch });
    this.wrote = true;
    if (written.operation) this.lastOperation = written.operation;
    return written;
  }

  /** Write a phase change (clears the operation unless one is given). */
  public async enterPhase(phase: DrPhase, reason: string, operation?: DrOperation, patch: Partial<DrRecordDraft> = {}): Promise<DrRecord> {
    const activeRegion = phase === 'failed-over' || phase === 'failing-back' ? this.options.dr.standbyRegion : this.options.dr.primaryRegion;
    return this.write({ phase, activeRegion, since: this.now(), reason, operation, ...patch });
  }

  /**
   * Record that `step` is done: the operation's step, a heartbeat and (the first time only) a timeline mark.
   */
  public async mark(step: string, detail: string): Promise<void> {
    const op = this.operation;
    const now = this.now();
    const seen = op.timeline.some((e) => e.mark === step);
    const timeline = seen ? op.timeline : [...op.timeline, { mark: step, at: now, detail }];
    await this.write({ operation: { ...op, step, updatedAt: now, timeline } });
    this.log(DrEventType.STEP, `${step}: ${detail}`);
  }

  /** Stop here if the deadline came. */
  public checkpoint(): void {
    const deadline = this.settings.deadlineAt;
    if (deadline !== undefined && this.now() >= deadline) {
      throw new DeadlineReached(`the deadline (${new Date(deadline).toISOString()}) came`);
    }
  }

  /**
   * Poll until `poll` says done or `timeoutMs` passes, rewriting the record's heartbeat while an operation runs.
   * Errors of a poll count as "not yet" (the Region may blink); the last one is in the progress message.
   */
  public async waitFor(what: string, timeoutMs: number, poll: () => Promise<PollResult>): Promise<WaitResult> {
    const start = this.now();
    let lastBeat = start;
    for (;;) {
      this.checkpoint();
      let result: PollResult;
      try {
        result = await poll();
      } catch (err) {
        result = { done: false, seen: `could not read (${err instanceof Error ? err.message : String(err)})` };
      }
      if (result.done) return 'done';
      const waited = this.now() - start;
      if (waited >= timeoutMs) return 'timeout';
      this.log(DrEventType.WAITING, `waiting for ${what}: ${result.seen} (${Math.round(waited / 1000)} s of ${Math.round(timeoutMs / 1000)} s)`);
      await this.clock.sleep(this.settings.pollMs);
      if (this.record.operation && this.now() - lastBeat >= HEARTBEAT_MS) {
        await this.write({ operation: { ...this.record.operation, updatedAt: this.now() } });
        lastBeat = this.now();
      }
    }
  }
}
