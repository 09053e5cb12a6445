import { describe, expect, it } from 'vitest';
import { declaredFeatureFlagProfile } from '../../../lib/contract';
import { listFeatureFlags } from '../../../lib/release/feature-flags';
import { declaration, FakeFlags, NOW, SECTION } from './fakes';

const CHECKOUT = declaration('release-new-checkout');
const OLD = declaration('release-old-banner', { created: '2029-11-01', expiry: '2030-01-05', owner: 'team-web' });
const FRESH = declaration('ops-disable-recs', { default: true, expiry: '2030-12-01' });

describe('listFeatureFlags', () => {
  it('GIVEN nothing deployed WHEN listed THEN no live version, every flag not-live (or debt), defaults shown', async () => {
    // GIVEN
    const fake = new FakeFlags([CHECKOUT, OLD]);
    // WHEN
    const view = await listFeatureFlags(fake, SECTION, NOW);
    // THEN
    expect(view.liveVersion).toBeNull();
    expect(view.running).toBeNull();
    expect(view.declaredVersion).toBe('3');
    expect(view.flags.map((f) => [f.name, f.live, f.default, f.status])).toEqual([
      ['release-new-checkout', null, false, 'not-live'],
      ['release-old-banner', null, false, 'debt'],
    ]);
    expect(view.flags[0].ageMs).toBe(NOW - Date.parse('2030-01-01T00:00:00Z'));
    expect(view.flags[1].expiresInMs).toBeLessThan(0);
  });

  it('GIVEN a live version with a flag no longer declared and a running deployment WHEN listed THEN live values, undeclared, running, monitor and changes newest first', async () => {
    // GIVEN
    const fake = new FakeFlags([CHECKOUT, FRESH]);
    fake.deployed({ flags: [{ ...declaredFeatureFlagProfile({ flags: [CHECKOUT] }).flags[0], enabled: true }, { ...declaredFeatureFlagProfile({ flags: [OLD] }).flags[0] }] });
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }), { running: true, description: 'flags gradual release-new-checkout off by me' });
    fake.alarm = 'ALARM';
    fake.actionsEnabled = false;
    fake.stored = {
      version: 1,
      record: {
        changes: [
          { at: '2030-01-09T10:00:00Z', by: 'a', reason: 'first', kind: 'set', flag: 'release-new-checkout', enabled: true, outcome: 'complete' },
          { at: '2030-01-10T11:00:00Z', by: 'b', reason: 'second', kind: 'gradual', flag: 'release-new-checkout', enabled: false, outcome: 'deploying' },
        ],
        monitorSuspensions: [{ by: 'b', since: '2030-01-10T11:00:00Z', flag: 'release-new-checkout' }],
      },
    };
    fake.now = NOW + 60_000; // the running deployment is 1 minute in
    // WHEN
    const view = await listFeatureFlags(fake, SECTION, NOW);
    // THEN
    expect(view.liveVersion).toBe('4');
    expect(view.running).toMatchObject({ deploymentNumber: 2, state: 'DEPLOYING', version: '5' });
    expect(view.flags.map((f) => [f.name, f.live, f.default, f.status])).toEqual([
      ['release-new-checkout', true, false, 'ok'],
      ['ops-disable-recs', null, true, 'not-live'],
      ['release-old-banner', false, null, 'undeclared'],
    ]);
    expect(view.monitor).toEqual({ name: SECTION.monitorAlarmName, state: 'ALARM', actionsEnabled: false });
    expect(view.monitorSuspensions).toEqual([{ by: 'b', since: '2030-01-10T11:00:00Z', flag: 'release-new-checkout' }]);
    expect(view.changes.map((c) => c.reason)).toEqual(['second', 'first']);
  });

  it('GIVEN any state WHEN listed THEN it changes nothing', async () => {
    const fake = new FakeFlags([CHECKOUT]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }));
    await listFeatureFlags(fake, SECTION, NOW);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN a plain set BAKING WHEN listed THEN LIVE is the COMPLETE version and the rollout says what the BAKING version serves to 100 % (defect 1)', async () => {
    const fake = new FakeFlags([CHECKOUT, FRESH]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT, FRESH] }));
    fake.deployed({ flags: declaredFeatureFlagProfile({ flags: [CHECKOUT, FRESH] }).flags.map((f) => ({ ...f, enabled: f.name === CHECKOUT.name ? true : f.enabled })) }, { running: true, strategy: 'AppConfig.AllAtOnce', startedMsAgo: 360_000 });
    const view = await listFeatureFlags(fake, SECTION, NOW);
    expect(view.running).toMatchObject({ deploymentNumber: 2, state: 'BAKING', percentageComplete: 100, version: '5' });
    expect(view.flags[0]).toMatchObject({ name: CHECKOUT.name, live: false });
    expect(view.rollout).toEqual([{ flag: CHECKOUT.name, enabled: true }]);
  });

  it('GIVEN changes left deploying whose deployments ended WHEN listed THEN each shows its real end (defect 8)', async () => {
    const fake = new FakeFlags([CHECKOUT]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }));
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }), { running: true });
    fake.deployments[1].final = 'REVERTED';
    const c = { by: 'a', reason: '', kind: 'set' as const, flag: CHECKOUT.name, enabled: true, outcome: 'deploying' as const };
    fake.stored = { version: 1, record: { changes: [{ ...c, at: '2030-01-09T10:00:00Z', deploymentNumber: 1 }, { ...c, at: '2030-01-10T10:00:00Z', deploymentNumber: 2 }] } };
    const view = await listFeatureFlags(fake, SECTION, NOW);
    expect(view.changes.map((x) => [x.deploymentNumber, x.outcome])).toEqual([
      [2, 'stopped'],
      [1, 'complete'],
    ]);
    expect(fake.mutations()).toEqual([]);
  });
});
