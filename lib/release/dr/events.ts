/**
 * What the DR engine reports through `DrLogger.event`: one event per step, so the CLI can print progress and
 * `--json` can carry it. Every event has a one-line `message`; events about one Region carry `region`.
 */
export enum DrEventType {
  /** An operation was refused; nothing was changed. The message says why and what to run. */
  REFUSED = 'refused',
  /** The record was read; the message says from which Regions and at which generation. */
  RECORD_READ = 'record-read',
  /** A Region did not answer within the timeout or failed: it is treated as unreachable. */
  REGION_UNREACHABLE = 'region-unreachable',
  /** The record was written to these Regions. */
  RECORD_WRITTEN = 'record-written',
  /** A step of an operation is done (`decision`, `capacity-requested`, `standby-healthy`, ...). */
  STEP = 'step',
  /** A wait poll: what was seen, and what is awaited. */
  WAITING = 'waiting',
  /** An interrupted operation is being continued. */
  RESUMED = 'resumed',
  /** An operation is being undone. */
  UNDOING = 'undoing',
  /** An operation ended (done, undone, failed, suspended). */
  FINISHED = 'finished',
  /** A verification request during a drill's hold. */
  HOLD_CHECK = 'hold-check',
}
