/**
 * Compare-and-set on the quarantine record: read, decide, write only if nobody wrote in between; on a conflict read
 * again and decide again from what is now stored. Every writer (hook events, the sweep, the CLI) goes through this,
 * so the caps hold however their writes interleave.
 */
import { emptyQuarantineRecord, QuarantineEntry, QuarantineRecord } from '../../contract';
import { ConcurrentQuarantineUpdateError, QuarantinePorts, QuarantineRecordStore } from './ports';

/** Tries before giving up on a busy record. */
export const MAX_RECORD_TRIES = 5;

/** Wait after the first conflict, doubled after each one (25, 50, 100, 200 ms: under 0.4 s in all). */
export const RECORD_BACKOFF_MS = 25;

/** A decision over the current record: what to write (undefined: nothing), and what to return. */
export interface RecordChange<T> {
  readonly record?: QuarantineRecord;
  readonly result: T;
}

/** Still conflicting after MAX_RECORD_TRIES: the caller falls back to the normal path. */
export class QuarantineRecordBusyError extends Error {
  constructor(service: string) {
    super(`the quarantine record of ${service} kept changing under ${MAX_RECORD_TRIES} compare-and-set tries`);
    this.name = 'QuarantineRecordBusyError';
  }
}

/** The stored record, or an empty one. */
export async function readRecord(store: QuarantineRecordStore, service: string): Promise<{ record: QuarantineRecord; version: number | undefined }> {
  const read = await store.read();
  return read ? { record: read.record, version: read.version } : { record: emptyQuarantineRecord(service), version: undefined };
}

/**
 * Apply `decide` to the current record and write its result with compare-and-set, deciding again after a conflict.
 * It backs off between tries, so that a burst of writers spreads out instead of colliding again.
 *
 * @throws QuarantineRecordBusyError after MAX_RECORD_TRIES conflicts; other store errors as they come
 */
export async function updateRecord<T>(ports: Pick<QuarantinePorts, 'store' | 'clock'>, service: string, decide: (current: QuarantineRecord) => RecordChange<T>): Promise<T> {
  for (let attempt = 1; attempt <= MAX_RECORD_TRIES; attempt++) {
    if (attempt > 1) await ports.clock.sleep(RECORD_BACKOFF_MS * 2 ** (attempt - 2));
    const { record, version } = await readRecord(ports.store, service);
    const change = decide(record);
    if (!change.record) return change.result;
    try {
      await ports.store.write(change.record, version);
      return change.result;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new QuarantineRecordBusyError(service);
}

/** By name as well as class: an adapter bundled with its own copy of the class still signals a conflict. */
function isConflict(err: unknown): boolean {
  return err instanceof ConcurrentQuarantineUpdateError || (err as Error | undefined)?.name === 'ConcurrentQuarantineUpdateError';
}

/** The same instance and lifecycle action: a later claim of the instance is a different entry. */
export function sameClaim(a: QuarantineEntry, b: QuarantineEntry): boolean {
  return a.instanceId === b.instanceId && a.lifecycleActionToken === b.lifecycleActionToken;
}
