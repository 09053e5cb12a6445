import { describe, expect, it } from 'vitest';
import { declaredFeatureFlagProfile, UndeclaredFeatureFlagError } from '../../../lib/contract';
import { FeatureFlagRefusal, setFeatureFlag, SetFeatureFlagOptions } from '../../../lib/release/feature-flags';
import { declaration, FakeFlags, SECTION } from './fakes';

const CHECKOUT = declaration('release-new-checkout');
const RECS = declaration('ops-disable-recs', { default: true });

function options(overrides: Partial<SetFeatureFlagOptions> = {}): SetFeatureFlagOptions {
  return { service: 'web', flag: 'release-new-checkout', enabled: true, gradual: false, reason: 'launch', by: 'me@host', wait: true, timeoutMs: 30 * 60_000, ...overrides };
}

function liveFake(): FakeFlags {
  const fake = new FakeFlags([CHECKOUT, RECS]);
  fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }));
  return fake;
}

describe('setFeatureFlag', () => {
  it('GIVEN the flag off WHEN set on THEN deploys a version with it on all at once, waits to COMPLETE and records it', async () => {
    // GIVEN
    const fake = liveFake();
    // WHEN
    const r = await setFeatureFlag(fake, SECTION, options());
    // THEN
    expect(r.outcome).toBe('complete');
    expect(r.version).toBe('5');
    expect(fake.log).toContain('startDeployment 5 AppConfig.AllAtOnce');
    expect(fake.content('5').flags.map((f) => [f.name, f.enabled])).toEqual([['release-new-checkout', true], ['ops-disable-recs', true]]);
    expect(fake.stored?.record.changes).toEqual([
      expect.objectContaining({ by: 'me@host', reason: 'launch', kind: 'set', flag: 'release-new-checkout', enabled: true, version: '5', deploymentNumber: 2, outcome: 'complete' }),
    ]);
    expect(r.before).toEqual({ version: '4', value: false });
  });

  it('GIVEN --gradual WHEN set THEN deploys with the gradual strategy and records kind gradual', async () => {
    const fake = liveFake();
    const r = await setFeatureFlag(fake, SECTION, options({ gradual: true }));
    expect(r.outcome).toBe('complete');
    expect(fake.log).toContain('startDeployment 5 strat-gradual');
    expect(fake.stored?.record.changes[0].kind).toBe('gradual');
  });

  it('GIVEN the flag already at that value WHEN set THEN nothing to do and nothing changed', async () => {
    const fake = liveFake();
    const r = await setFeatureFlag(fake, SECTION, options({ enabled: false }));
    expect(r.outcome).toBe('nothing-to-do');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN nothing deployed WHEN set to its default THEN it deploys (to make the flags live)', async () => {
    const fake = new FakeFlags([CHECKOUT]);
    const r = await setFeatureFlag(fake, SECTION, options({ enabled: false }));
    expect(r.outcome).toBe('complete');
    expect(r.before).toEqual({ version: null, value: null });
  });

  it('GIVEN a running deployment WHEN set THEN refused naming it, nothing changed', async () => {
    const fake = liveFake();
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }), { running: true, description: 'flags gradual x on by you' });
    const e = await setFeatureFlag(fake, SECTION, options()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureFlagRefusal);
    expect((e as Error).message).toMatch(/^deployment 2 DEPLOYING 0 % \(version 5: flags gradual x on by you\) holds the flags of web; .*bluegreen flags kill web release-new-checkout/);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN an undeclared flag WHEN set THEN UndeclaredFeatureFlagError naming the declared ones, nothing changed', async () => {
    const fake = liveFake();
    const e = await setFeatureFlag(fake, SECTION, options({ flag: 'release-nope' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UndeclaredFeatureFlagError);
    expect((e as Error).message).toContain('declared: release-new-checkout, ops-disable-recs');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN a monitor a dead kill left suspended (older than the longest kill) WHEN set THEN its actions are enabled first, its holder cleared, and it says so', async () => {
    const fake = liveFake();
    fake.actionsEnabled = false;
    fake.stored = { version: 1, record: { changes: [], monitorSuspensions: [{ by: 'x', since: '2030-01-10T10:00:00Z', flag: 'release-new-checkout' }] } };
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.resumedMonitor).toBe(true);
    expect(r.clearedSuspensions).toEqual([{ by: 'x', since: '2030-01-10T10:00:00Z', flag: 'release-new-checkout' }]);
    expect(r.steps[0]).toBe('cleared a kill of release-new-checkout by x since 2030-01-10T10:00:00Z: older than 16 minutes (the longest kill and a minute), it died');
    expect(r.steps[1]).toMatch(/enabled the actions of monitor web-feature-flags-monitor again \(a kill left them disabled: a kill of release-new-checkout by x since 2030-01-10T10:00:00Z\)/);
    expect(fake.mutations().slice(0, 2)).toEqual(['records.write', 'monitor.resume']);
    expect(fake.stored?.record.monitorSuspensions).toBeUndefined();
    expect(r.outcome).toBe('complete');
  });

  it('GIVEN the monitor goes into ALARM during the bake WHEN set THEN rolled back with the reason, recorded', async () => {
    const fake = liveFake();
    fake.beforeStart = () => undefined;
    const origSleep = fake.clock.sleep;
    fake.clock.sleep = async (ms: number) => {
      await origSleep(ms);
      fake.alarm = 'ALARM';
    };
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.outcome).toBe('rolled-back');
    expect(r.detail).toBe('alarm web-feature-flags-monitor in ALARM');
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'rolled-back', detail: 'alarm web-feature-flags-monitor in ALARM' });
  });

  it('GIVEN a deployment longer than the timeout WHEN set THEN still deploying, recorded deploying', async () => {
    const fake = liveFake();
    const r = await setFeatureFlag(fake, SECTION, options({ gradual: true, timeoutMs: 60_000 }));
    expect(r.outcome).toBe('deploying');
    expect(r.deployment?.state).toBe('DEPLOYING');
    expect(fake.now - r.startedAt).toBe(60_000);
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'deploying', deploymentNumber: 2 });
  });

  it('GIVEN --no-wait WHEN set THEN returns once started', async () => {
    const fake = liveFake();
    const r = await setFeatureFlag(fake, SECTION, options({ wait: false }));
    expect(r.outcome).toBe('deploying');
    expect(fake.log.filter((l) => l.startsWith('getDeployment'))).toHaveLength(1);
  });

  it('GIVEN a racer starts first WHEN set THEN refused, recorded failed', async () => {
    const fake = liveFake();
    fake.beforeStart = () => fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }), { running: true, description: 'racer' });
    const e = await setFeatureFlag(fake, SECTION, options()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureFlagRefusal);
    expect((e as Error).message).toMatch(/^deployment 2 DEPLOYING 0 % \(version 6: racer\) holds/);
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'failed' });
  });

  it('GIVEN a dry run WHEN set THEN says what it would do and changes nothing', async () => {
    const fake = liveFake();
    fake.actionsEnabled = false;
    const r = await setFeatureFlag(fake, SECTION, options({ dryRun: true, gradual: true }));
    expect(r.outcome).toBe('would-deploy');
    expect(r.steps).toEqual([
      'would enable the actions of monitor web-feature-flags-monitor again (a kill left them disabled)',
      'would create a version with release-new-checkout on (was off in version 4) and deploy it gradually (strategy strat-gradual)',
    ]);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN the record changed meanwhile WHEN set THEN it appends with compare-and-set again', async () => {
    const fake = liveFake();
    fake.recordConflicts = 1;
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.outcome).toBe('complete');
    expect(fake.stored?.record.changes).toHaveLength(1);
  });

  it('GIVEN a kill in progress (a recent holder of the monitor) WHEN set THEN refused naming who and since when, nothing changed (defect 4)', async () => {
    const fake = liveFake();
    fake.actionsEnabled = false;
    const since = new Date(fake.now - 120_000).toISOString();
    fake.stored = { version: 1, record: { changes: [], monitorSuspensions: [{ by: 'alice@laptop', since, flag: 'ops-disable-recs' }] } };
    const e = await setFeatureFlag(fake, SECTION, options()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureFlagRefusal);
    expect((e as Error).message).toContain(`a kill is in progress by alice@laptop since ${since} (of ops-disable-recs)`);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN another change completes after the live version was read WHEN set THEN the version is built again from the new live one (defect 3)', async () => {
    const fake = liveFake();
    fake.afterCreate = () => {
      fake.afterCreate = undefined;
      fake.deployed({ flags: declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }).flags.map((f) => ({ ...f, enabled: f.name === 'ops-disable-recs' ? false : f.enabled })) });
    };
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.outcome).toBe('complete');
    expect(fake.content(fake.liveVersion()!).flags.map((f) => [f.name, f.enabled])).toEqual([
      ['release-new-checkout', true],
      ['ops-disable-recs', false],
    ]);
    expect(r.steps).toContain('the live flags changed meanwhile (now version 6): building the version again from them');
    expect(r.before).toEqual({ version: '6', value: false });
  });

  it('GIVEN a kill starts and completes between our check and our start WHEN set THEN ours is stopped and built again on top of it (defect 3)', async () => {
    const fake = new FakeFlags([CHECKOUT, RECS]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }));
    fake.beforeStart = () => fake.deployed({ flags: declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }).flags.map((f) => ({ ...f, enabled: f.name === 'ops-disable-recs' ? false : f.enabled })) });
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.outcome).toBe('complete');
    expect(fake.content(fake.liveVersion()!).flags.map((f) => [f.name, f.enabled])).toEqual([
      ['release-new-checkout', true],
      ['ops-disable-recs', false],
    ]);
    expect(r.steps).toContain('deployment 2 completed between the check and the start: stopped deployment 3 (built without it)');
  });

  it('GIVEN the final record write fails after the deployment completed WHEN set THEN complete with a warning, not an error (defect 7)', async () => {
    const fake = liveFake();
    const write = fake.records.write;
    let n = 0;
    fake.records.write = async (rec, v) => {
      n += 1;
      if (n === 2) throw new Error('ProvisionedThroughputExceededException');
      return write(rec, v);
    };
    const r = await setFeatureFlag(fake, SECTION, options());
    expect(r.outcome).toBe('complete');
    expect(r.warnings).toEqual([expect.stringMatching(/could not record the outcome \(complete\) in the flags record \(ProvisionedThroughputExceededException\)/)]);
  });

  it('GIVEN only a description changed in the declared version WHEN set to the live value THEN nothing to do (defect 10)', async () => {
    const fake = new FakeFlags([{ ...CHECKOUT, description: 'a new description' }, RECS]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }));
    const r = await setFeatureFlag(fake, SECTION, options({ enabled: false }));
    expect(r.outcome).toBe('nothing-to-do');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN a flag added to the declared version WHEN set to the live value THEN it deploys (the set of flags changed)', async () => {
    const fake = new FakeFlags([CHECKOUT, RECS]);
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }));
    const r = await setFeatureFlag(fake, SECTION, options({ enabled: false }));
    expect(r.outcome).toBe('complete');
  });

  it('GIVEN a change left deploying whose deployment was rolled back WHEN set THEN the record says rolled-back (defect 8)', async () => {
    const fake = liveFake();
    fake.deployed(declaredFeatureFlagProfile({ flags: [CHECKOUT] }), { running: true });
    fake.deployments[1].final = 'ROLLED_BACK';
    fake.stored = { version: 1, record: { changes: [{ at: '2030-01-10T11:00:00.000Z', by: 'dev@box', reason: '', kind: 'set', flag: 'release-new-checkout', enabled: true, outcome: 'deploying', deploymentNumber: 2 }] } };
    await setFeatureFlag(fake, SECTION, options());
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'rolled-back', detail: 'AppConfig rolled back deployment 2' });
  });

  it('GIVEN a kill completes between the check and the start at every attempt WHEN set THEN its own third deployment is stopped too and it is refused, never completing stale flags (second review, defect 1)', async () => {
    // GIVEN three flags on and the one to set off; a kill (0 minutes) of another flag completes before each start
    const flags = ['release-a', 'release-b', 'release-c', 'release-x'].map((n) => declaration(n, { default: n !== 'release-x' }));
    const fake = new FakeFlags(flags);
    fake.deployed(declaredFeatureFlagProfile({ flags }));
    const start = fake.config.startDeployment;
    const kills = ['release-a', 'release-b', 'release-c'];
    fake.config.startDeployment = async (v: string, strategy: string, d: string) => {
      const live = fake.content(fake.liveVersion()!);
      const flag = kills.shift();
      if (flag) fake.deployed({ flags: live.flags.map((f) => (f.name === flag ? { ...f, enabled: false } : f)) }, { strategy: 'strat-kill', description: `flags kill ${flag} by oncall: x` });
      return start(v, strategy, d);
    };
    // WHEN
    const set = setFeatureFlag(fake, SECTION, options({ flag: 'release-x' }));
    // THEN refused; every kill's flag stays off; release-x is not on
    await expect(set).rejects.toThrow(FeatureFlagRefusal);
    await expect(set).rejects.toThrow(/kept changing while this change was built \(3 attempts; last: deployment 6 completed between the check and the start\)\. Deployment 7 was stopped/);
    expect(fake.content(fake.liveVersion()!).flags.map((f) => [f.name, f.enabled])).toEqual([
      ['release-a', false],
      ['release-b', false],
      ['release-c', false],
      ['release-x', false],
    ]);
    // AND the set stopped only its own deployments (AllAtOnce), never a kill's
    const stops = fake.log.filter((l) => l.startsWith('stopDeployment')).map((l) => Number(l.split(' ')[1]));
    expect(stops).toEqual([3, 5, 7]);
    expect(stops.every((n) => fake.deployments[n - 1].strategy === 'AppConfig.AllAtOnce')).toBe(true);
    expect(fake.deployments.filter((d) => d.strategy === 'strat-kill').every((d) => d.final === 'COMPLETE')).toBe(true);
    expect(fake.stored?.record.changes.at(-1)).toMatchObject({ kind: 'set', flag: 'release-x', outcome: 'failed' });
  });

  it('GIVEN a dead kill\'s holder, and a new kill adding itself before our clearing write WHEN set THEN the write is read again, the actions stay disabled and the set is refused (second review, defect 4)', async () => {
    const fake = liveFake();
    fake.actionsEnabled = false;
    const dead = { by: 'x', since: '2030-01-10T10:00:00Z', flag: 'release-new-checkout' };
    fake.stored = { version: 1, record: { changes: [], monitorSuspensions: [dead] } };
    const fresh = { id: 'k2', by: 'oncall', since: new Date(fake.now).toISOString(), flag: 'ops-disable-recs' };
    const read = fake.records.read;
    fake.records.read = async () => {
      const r = await read();
      // The new kill adds itself right after our first read.
      fake.records.read = read;
      fake.stored = { version: 2, record: { changes: [], monitorSuspensions: [dead, fresh] } };
      return r;
    };
    await expect(setFeatureFlag(fake, SECTION, options())).rejects.toThrow(/a kill is in progress by oncall since .* \(of ops-disable-recs\).* \(it began meanwhile\)/);
    expect(fake.log).not.toContain('monitor.resume');
    expect(fake.actionsEnabled).toBe(false);
    expect(fake.stored?.record.monitorSuspensions).toEqual([fresh]);
  });

  it('GIVEN a new kill disables the actions between our clearing write and our EnableAlarmActions WHEN set THEN they are disabled again and the set refused (second review, defect 4)', async () => {
    const fake = liveFake();
    fake.actionsEnabled = false;
    fake.stored = { version: 1, record: { changes: [], monitorSuspensions: [{ by: 'x', since: '2030-01-10T10:00:00Z', flag: 'release-new-checkout' }] } };
    const fresh = { id: 'k2', by: 'oncall', since: new Date(fake.now).toISOString(), flag: 'ops-disable-recs' };
    const resume = fake.monitor.resume;
    fake.monitor.resume = async () => {
      fake.stored = { version: fake.stored!.version + 1, record: { ...fake.stored!.record, monitorSuspensions: [fresh] } };
      fake.actionsEnabled = false;
      await resume();
    };
    await expect(setFeatureFlag(fake, SECTION, options())).rejects.toThrow(/disabled again for it/);
    expect(fake.actionsEnabled).toBe(false);
    expect(fake.log.some((l) => l.startsWith('startDeployment'))).toBe(false);
  });
});

describe('setFeatureFlag: third review', () => {
  it('GIVEN a kill writes its holder after the set read the record, and lists before the set starts WHEN set THEN the set reads the record after its start, stops its own deployment and is refused (item 1)', async () => {
    // GIVEN: the kill's holder lands between the set's read and its StartDeployment
    const fake = liveFake();
    const holder = { id: 'k1', by: 'oncall', since: new Date(fake.now).toISOString(), flag: 'release-new-checkout' };
    fake.beforeStart = () => {
      fake.stored = { version: fake.stored!.version + 1, record: { ...fake.stored!.record, monitorSuspensions: [holder] } };
    };
    // WHEN
    const e = await setFeatureFlag(fake, SECTION, options({ gradual: true })).catch((x: unknown) => x);
    // THEN refused (exit 3), its own deployment stopped, the flag not on, the holder untouched
    expect(e).toBeInstanceOf(FeatureFlagRefusal);
    expect((e as Error).message).toMatch(/a kill began while this change started \(a kill of release-new-checkout by oncall since .*\): deployment 2 was stopped, nothing of this change is served/);
    expect(fake.log).toContain('stopDeployment 2');
    expect(fake.deployments[1].final).toBe('ROLLED_BACK');
    fake.now += 3_600_000;
    expect(fake.content(fake.liveVersion()!).flags.find((f) => f.name === 'release-new-checkout')?.enabled).toBe(false);
    expect(fake.stored?.record.monitorSuspensions).toEqual([holder]);
    expect(fake.stored?.record.changes.at(-1)).toMatchObject({ kind: 'gradual', outcome: 'failed', detail: expect.stringMatching(/a kill began/) });
    expect(fake.log).not.toContain('monitor.resume');
  });

  it('GIVEN the record cannot be read right after the start WHEN set THEN its own deployment is stopped (a kill may have begun) and it fails (item 1)', async () => {
    const fake = liveFake();
    fake.beforeStart = () => fake.failures.set('records.read', { error: new Error('ProvisionedThroughputExceededException') });
    await expect(setFeatureFlag(fake, SECTION, options({ gradual: true }))).rejects.toThrow(/could not be read after deployment 2 started.*deployment 2 was stopped/);
    expect(fake.deployments[1].final).toBe('ROLLED_BACK');
  });

  it('GIVEN a kill that exited still deploying, whose deployment is now COMPLETE and whose actions were enabled by hand WHEN set THEN its hold is cleared and the set deploys (item 5)', async () => {
    // GIVEN: the kill's change recorded deploying with its deployment, which has since completed; its holder kept
    const fake = liveFake();
    const n = fake.deployed({ flags: declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }).flags }, { strategy: 'strat-kill', description: 'flags kill release-new-checkout by oncall: x' });
    const since = new Date(fake.now - 5 * 60_000).toISOString();
    const holder = { id: 'k1', by: 'oncall', since, flag: 'release-new-checkout' };
    fake.stored = {
      version: 1,
      record: { changes: [{ at: since, by: 'oncall', reason: 'x', kind: 'kill', flag: 'release-new-checkout', enabled: false, outcome: 'deploying', deploymentNumber: n, version: '5' }], monitorSuspensions: [holder] },
    };
    // WHEN
    const r = await setFeatureFlag(fake, SECTION, options());
    // THEN
    expect(r.outcome).toBe('complete');
    expect(r.steps[0]).toBe(`cleared a kill of release-new-checkout by oncall since ${since} (its deployment ${n} is COMPLETE): the monitor's actions were enabled again, its hold is over`);
    expect(r.clearedSuspensions).toEqual([holder]);
    expect(fake.stored?.record.monitorSuspensions).toBeUndefined();
    expect(fake.stored?.record.changes[0]).toMatchObject({ kind: 'kill', outcome: 'complete' });
  });

  it('GIVEN a kill that exited still deploying, whose deployment is COMPLETE but whose actions are still disabled WHEN set THEN refused, saying how its hold ends (item 5)', async () => {
    const fake = liveFake();
    const n = fake.deployed({ flags: declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] }).flags }, { strategy: 'strat-kill', description: 'flags kill release-new-checkout by oncall: x' });
    fake.actionsEnabled = false;
    const since = new Date(fake.now - 5 * 60_000).toISOString();
    fake.stored = {
      version: 1,
      record: {
        changes: [{ at: since, by: 'oncall', reason: 'x', kind: 'kill', flag: 'release-new-checkout', enabled: false, outcome: 'deploying', deploymentNumber: n, version: '5' }],
        monitorSuspensions: [{ id: 'k1', by: 'oncall', since, flag: 'release-new-checkout' }],
      },
    };
    const e = await setFeatureFlag(fake, SECTION, options()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FeatureFlagRefusal);
    expect((e as Error).message).toMatch(
      /once that deployment is COMPLETE and the actions are enabled again \(aws cloudwatch enable-alarm-actions --alarm-names web-feature-flags-monitor\), the next flags set clears it; a kill that died is cleared 16 minutes after it began/,
    );
    expect(fake.mutations()).toEqual([]);
  });
});
