import { WatchDecision, WatchInput } from './types';

/** How long an operation's heartbeat may be silent before the watcher takes it over: two watcher periods. */
export const DR_OPERATION_LEASE_MS = 2 * 60_000;

/**
 * What the standby's watcher does on one tick (pure; the Lambda reads, decides, acts). It never fails back and
 * never fails over while a failback is in flight; a failover starts only from `normal`, after `failureThreshold`
 * consecutive failed probes of the primary.
 */
export function decideWatch(input: WatchInput): WatchDecision {
  const record = input.record;
  const phase = record?.phase ?? 'normal';
  const op = record?.operation;
  if (op) {
    const silentMs = input.now - op.updatedAt;
    if (silentMs > DR_OPERATION_LEASE_MS) {
      return { action: 'resume', reason: `${op.kind} ${op.id} (${phase}, step ${op.step}, by ${op.owner}) has been silent ${Math.round(silentMs / 1000)} s, longer than the ${DR_OPERATION_LEASE_MS / 1000} s lease: resume it` };
    }
    return { action: 'none', reason: `${op.kind} ${op.id} is in flight (${phase}, step ${op.step}, by ${op.owner}, heartbeat ${Math.round(silentMs / 1000)} s ago)` };
  }
  if (phase === 'failed-over') {
    // Route 53 reads the switch alarm's metric data, not its state: with no new data point its check soon counts as
    // "insufficient data". Writing the switch every tick keeps the data stream saying "failed over".
    const reads = input.switchState === 'ALARM' ? 'latched' : `the switch reads ${input.switchState}`;
    return { action: 'latch', reason: `failed over (${reads}): write the switch again so DNS stays on the standby; failback is \`bluegreen dr failback\`, never automatic` };
  }
  if (phase !== 'normal') return { action: 'none', reason: `phase ${phase} with no operation in flight: nothing to do` };
  const failures = record?.watcherFailures ?? 0;
  if (input.primaryProbe.ok) {
    return failures > 0
      ? { action: 'reset-failures', reason: `the primary answers again (${input.primaryProbe.detail}) after ${failures} failed probe(s)` }
      : { action: 'none', reason: `the primary answers (${input.primaryProbe.detail})` };
  }
  const count = failures + 1;
  if (count >= input.failureThreshold) {
    return { action: 'failover', reason: `the primary failed ${count} consecutive probe(s) (threshold ${input.failureThreshold}): ${input.primaryProbe.detail}` };
  }
  return { action: 'count-failure', reason: `the primary failed probe ${count} of ${input.failureThreshold}: ${input.primaryProbe.detail}` };
}
