import { describe, expect, it } from 'vitest';
import { NOTICE_QUIET_MS, QuietNotifier } from '../../lib/lambda/dr-watcher/quiet-notifier';

describe('QuietNotifier', () => {
  it('sends a subject once per quiet period, other subjects at once, and again after the period', async () => {
    // GIVEN a clock and a recording notifier
    let now = 0;
    const sent: string[] = [];
    const quiet = new QuietNotifier({ notify: async (subject) => void sent.push(subject) }, () => now);
    // WHEN the same refusal comes every minute for an hour, with one failure notice among them
    for (let minute = 0; minute < 60; minute++) {
      now = minute * 60_000;
      await quiet.notify('web: failover to eu-central-1 refused', 'version skew');
      if (minute === 10) await quiet.notify('web: DR watcher failed', 'alarm missing');
    }
    // THEN the refusal went out at minute 0 and again after the quiet period, the failure once
    expect(NOTICE_QUIET_MS).toBe(30 * 60_000);
    expect(sent).toEqual(['web: failover to eu-central-1 refused', 'web: DR watcher failed', 'web: failover to eu-central-1 refused']);
  });

  it('does not count a notice that could not be sent: the next tick tries again', async () => {
    // GIVEN SNS failing once
    let fail = true;
    const sent: string[] = [];
    const quiet = new QuietNotifier({
      notify: async (subject) => {
        if (fail) throw new Error('AuthorizationError');
        sent.push(subject);
      },
    }, () => 0);
    // WHEN
    await expect(quiet.notify('web: failover done', 'x')).rejects.toThrow('AuthorizationError');
    fail = false;
    await quiet.notify('web: failover done', 'x');
    // THEN
    expect(sent).toEqual(['web: failover done']);
  });
});
