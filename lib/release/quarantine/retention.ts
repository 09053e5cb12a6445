/**
 * Retention: when a kept instance's time is over, how far `quarantine extend` may move it, and when a claim is
 * stale. Every bound counts from when the instance was kept, so repeated extensions never keep it past the maximum.
 */
import { QUARANTINE_MAX_RETENTION_SECONDS, QuarantineEntry } from '../../contract';
import { formatDuration } from '../parsing';

/** ISO 8601 for epoch milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The expiry of an instance kept at `sinceMs`. */
export function expiryFor(sinceMs: number, retentionSeconds: number): string {
  return iso(sinceMs + retentionSeconds * 1000);
}

/** Epoch milliseconds of an ISO 8601 time; NaN when it is absent or not a date. */
function parseTime(value: string | undefined): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/**
 * Whether a kept entry's retention is over. Isolating claims never expire: they go stale instead. An expiry that is
 * not a date (a hand-edited record) counts as over, so the sweep terminates the instance rather than keep it forever.
 */
export function isExpired(entry: QuarantineEntry, nowMs: number): boolean {
  if (entry.state !== 'kept') return false;
  const expires = parseTime(entry.expiresAt);
  return Number.isNaN(expires) || expires <= nowMs;
}

/**
 * Whether an isolating claim is stale: older than the hook timeout, so its lifecycle action has timed out and
 * continued, and whoever made it is no longer working on it. A claim time that is not a date counts as stale.
 */
export function isStale(entry: QuarantineEntry, nowMs: number, hookTimeoutSeconds: number): boolean {
  if (entry.state !== 'isolating') return false;
  const claimed = parseTime(entry.claimedAt);
  return Number.isNaN(claimed) || claimed + hookTimeoutSeconds * 1000 <= nowMs;
}

/** Epoch milliseconds of an entry's expiry for ordering: one that is not a date sorts first (it is due already). */
export function expiryOrder(entry: QuarantineEntry): number {
  const expires = parseTime(entry.expiresAt);
  return Number.isNaN(expires) ? Number.NEGATIVE_INFINITY : expires;
}

/** The latest expiry a kept entry may have: the maximum retention after it was kept. */
export function latestExpiry(entry: QuarantineEntry): string {
  const since = Date.parse(entry.since ?? entry.claimedAt);
  return iso(since + QUARANTINE_MAX_RETENTION_SECONDS * 1000);
}

/** An extension, or why it is refused. */
export type Extension =
  | { readonly ok: true; readonly expiresAt: string }
  | { readonly ok: false; readonly message: string };

/** Move `entry`'s expiry `bySeconds` later, within the maximum retention. */
export function extendExpiry(entry: QuarantineEntry, bySeconds: number): Extension {
  if (!Number.isFinite(bySeconds) || bySeconds <= 0) {
    return { ok: false, message: `--for must be a positive duration, got ${bySeconds} seconds` };
  }
  const current = parseTime(entry.expiresAt);
  if (Number.isNaN(current) || Number.isNaN(parseTime(entry.since ?? entry.claimedAt))) {
    return {
      ok: false,
      message: `${entry.instanceId} cannot be extended: its record holds an expiry (${JSON.stringify(entry.expiresAt)}) or a keep time (${JSON.stringify(entry.since ?? entry.claimedAt)}) that is not a date, so it counts as expired and the sweep terminates it. Capture what you need first (snapshots).`,
    };
  }
  const latest = latestExpiry(entry);
  const wanted = current + bySeconds * 1000;
  if (wanted <= Date.parse(latest)) return { ok: true, expiresAt: iso(wanted) };
  return { ok: false, message: refusal(entry, bySeconds, current, latest) };
}

function refusal(entry: QuarantineEntry, bySeconds: number, currentMs: number, latest: string): string {
  const head = `${entry.instanceId} cannot be kept until ${iso(currentMs + bySeconds * 1000)}: an instance is kept at most ${formatDuration(QUARANTINE_MAX_RETENTION_SECONDS * 1000)} after it was kept (${entry.since ?? entry.claimedAt}), so the latest expiry allowed is ${latest}`;
  // Whole seconds, rounded down, so the suggested flag always fits.
  const roomSeconds = Math.floor((Date.parse(latest) - currentMs) / 1000);
  if (roomSeconds <= 0) return `${head}; it already expires then. Terminate it when done, or capture what you need first (snapshots).`;
  return `${head}; the largest --for that fits is --for ${formatDuration(roomSeconds * 1000)}.`;
}
