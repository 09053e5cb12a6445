/** Environment variables the `AutoRollback` construct sets and its function reads. */
export const AUTO_ROLLBACK_ENV = {
  /** Name of the service whose descriptor the function loads. */
  SERVICE_NAME: 'BLUEGREEN_SERVICE',
  /** `true` or `false`: whether a promoted release is rolled back while its old colour is still warm. */
  ROLLBACK_AFTER_PROMOTION: 'BLUEGREEN_ROLLBACK_AFTER_PROMOTION',
  /** Name of the release-state table, so that a reconcile tick reads the release record before anything else. */
  RELEASE_STATE_TABLE: 'BLUEGREEN_RELEASE_STATE_TABLE',
} as const;

/** Owner written into the release record by the auto-rollback, so `bluegreen status` says who rolled back. */
export const AUTO_ROLLBACK_OWNER = 'auto-rollback';

/** `source` of the constant event the reconcile schedule sends; alarm events come from `aws.cloudwatch`. */
export const RECONCILE_SOURCE = 'cdk-bluegreen.reconcile';

/** The event the reconcile schedule sends. */
export interface ReconcileEvent {
  /** `RECONCILE_SOURCE`. */
  readonly source?: string;
}

/** Whether an event is a reconcile tick rather than an alarm event. */
export function isReconcileEvent(event: ReconcileEvent): boolean {
  return event.source === RECONCILE_SOURCE;
}

