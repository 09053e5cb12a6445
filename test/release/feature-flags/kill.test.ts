import { describe, expect, it } from 'vitest';
import { declaredFeatureFlagProfile, FeatureFlagProfile, UndeclaredFeatureFlagError } from '../../../lib/contract';
import { killFeatureFlag, KillFeatureFlagOptions } from '../../../lib/release/feature-flags';
import { declaration, FakeFlags, SECTION } from './fakes';

const CHECKOUT = declaration('release-new-checkout');
const RECS = declaration('ops-disable-recs', { default: true });
const DECLARED = declaredFeatureFlagProfile({ flags: [CHECKOUT, RECS] });

function withCheckout(on: boolean): FeatureFlagProfile {
  return { flags: DECLARED.flags.map((f) => (f.name === 'release-new-checkout' ? { ...f, enabled: on } : f)) };
}

function options(overrides: Partial<KillFeatureFlagOptions> = {}): KillFeatureFlagOptions {
  return { service: 'web', flag: 'release-new-checkout', reason: '5xx on checkout', by: 'oncall@host', timeoutMs: 5 * 60_000, ...overrides };
}

/** The flag on and live. */
function onFake(): FakeFlags {
  const fake = new FakeFlags([CHECKOUT, RECS]);
  fake.deployed(withCheckout(true));
  return fake;
}

const kill = (fake: FakeFlags, o: Partial<KillFeatureFlagOptions> = {}) => killFeatureFlag(fake, SECTION, options(o));

describe('killFeatureFlag', () => {
  it('GIVEN the flag on WHEN killed THEN record, suspend, deploy off with the kill strategy, resume, record complete', async () => {
    // GIVEN
    const fake = onFake();
    // WHEN
    const r = await kill(fake);
    // THEN
    expect(r.outcome).toBe('complete');
    expect(fake.mutations()).toEqual(['records.write', 'monitor.suspend', 'createVersion', 'startDeployment 5 strat-kill', 'monitor.resume', 'records.write']);
    expect(fake.liveVersion()).toBe('5');
    expect(fake.content('5').flags.find((f) => f.name === 'release-new-checkout')?.enabled).toBe(false);
    expect(fake.content('5').flags.find((f) => f.name === 'ops-disable-recs')?.enabled).toBe(true);
    expect(fake.actionsEnabled).toBe(true);
    expect(r.monitorResumed).toBe(true);
    expect(fake.stored?.record.monitorSuspended).toBeUndefined();
    expect(fake.stored?.record.changes).toEqual([
      expect.objectContaining({ by: 'oncall@host', reason: '5xx on checkout', kind: 'kill', enabled: false, version: '5', deploymentNumber: 2, outcome: 'complete', endedAt: expect.any(String) }),
    ]);
  });

  it('GIVEN the first record write WHEN it lands THEN it says deploying with the monitor suspended (a dying kill leaves a trace)', async () => {
    const fake = onFake();
    const seen: unknown[] = [];
    const suspend = fake.monitor.suspend;
    fake.monitor.suspend = async () => {
      seen.push(JSON.parse(JSON.stringify(fake.stored?.record)));
      await suspend();
    };
    await kill(fake);
    expect(seen[0]).toMatchObject({ changes: [{ outcome: 'deploying', kind: 'kill' }], monitorSuspended: { by: 'oncall@host' } });
  });

  it('GIVEN a gradual rollout of the flag ON running WHEN killed THEN it is stopped and nothing more deployed (off is what is served again)', async () => {
    // GIVEN: off live, a gradual rollout turning it on at 10 %
    const fake = new FakeFlags([CHECKOUT, RECS]);
    fake.deployed(withCheckout(false));
    fake.deployed(withCheckout(true), { running: true, strategy: 'strat-gradual', description: 'flags gradual release-new-checkout on by dev' });
    fake.stopTakesMs = 4_000;
    // WHEN
    const r = await kill(fake);
    // THEN
    expect(r.outcome).toBe('nothing-to-do');
    expect(r.stoppedDeployment).toMatchObject({ deploymentNumber: 2, state: 'ROLLED_BACK' });
    expect(fake.mutations()).toEqual(['records.write', 'monitor.suspend', 'stopDeployment 2', 'monitor.resume', 'records.write']);
    expect(fake.liveVersion()).toBe('4');
    expect(fake.stored?.record.changes[0]).toMatchObject({ stoppedDeployment: 2, outcome: 'complete', detail: 'already off in version 4: nothing deployed' });
  });

  it('GIVEN a gradual rollout running while the flag is ON live WHEN killed THEN stopped, then off deployed', async () => {
    const fake = onFake();
    fake.deployed(withCheckout(true), { running: true });
    const r = await kill(fake);
    expect(r.outcome).toBe('complete');
    expect(fake.mutations()).toEqual(['records.write', 'monitor.suspend', 'stopDeployment 2', 'createVersion', 'startDeployment 6 strat-kill', 'monitor.resume', 'records.write']);
    expect(fake.stored?.record.changes[0]).toMatchObject({ stoppedDeployment: 2, deploymentNumber: 3, version: '6', outcome: 'complete' });
  });

  it('GIVEN the monitor in ALARM WHEN killed THEN the kill is not rolled back (suspended) and the monitor resumed after', async () => {
    const fake = onFake();
    fake.alarm = 'ALARM';
    const r = await kill(fake);
    expect(r.outcome).toBe('complete');
    expect(r.deployment?.state).toBe('COMPLETE');
    expect(fake.actionsEnabled).toBe(true);
  });

  it('GIVEN the flag already off WHEN killed THEN nothing deployed, monitor resumed, recorded', async () => {
    const fake = new FakeFlags([CHECKOUT, RECS]);
    fake.deployed(withCheckout(false));
    const r = await kill(fake);
    expect(r.outcome).toBe('nothing-to-do');
    expect(fake.log.some((l) => l.startsWith('createVersion'))).toBe(false);
    expect(fake.actionsEnabled).toBe(true);
  });

  it('GIVEN a racer starts a deployment between stop and start WHEN killed THEN the racer is stopped and the start retried once', async () => {
    const fake = onFake();
    fake.beforeStart = () => fake.deployed(withCheckout(true), { running: true, description: 'racer' });
    const r = await kill(fake);
    expect(r.outcome).toBe('complete');
    expect(fake.mutations()).toEqual(['records.write', 'monitor.suspend', 'createVersion', 'startDeployment 5 strat-kill', 'stopDeployment 2', 'startDeployment 5 strat-kill', 'monitor.resume', 'records.write']);
  });

  it('GIVEN an undeclared flag WHEN killed THEN UndeclaredFeatureFlagError, nothing changed', async () => {
    const fake = onFake();
    await expect(kill(fake, { flag: 'release-gone' })).rejects.toBeInstanceOf(UndeclaredFeatureFlagError);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN a dry run WHEN killed THEN says what it would do, changes nothing', async () => {
    const fake = onFake();
    fake.deployed(withCheckout(true), { running: true });
    const r = await kill(fake, { dryRun: true });
    expect(r.outcome).toBe('would-deploy');
    expect(r.steps).toEqual([
      'would disable the actions of monitor web-feature-flags-monitor (now OK)',
      'would stop deployment 2 DEPLOYING 0 % (version 5: earlier)',
      'would create a version with release-new-checkout off (now on in version 4) and deploy it with the kill strategy (strat-kill)',
      'would enable the actions of monitor web-feature-flags-monitor again',
    ]);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN the kill deployment does not complete in time WHEN killed THEN failed with what is served, monitor resumed', async () => {
    const fake = onFake();
    const section = { ...SECTION, killStrategyId: 'strat-gradual' };
    const r = await killFeatureFlag(fake, section, options({ timeoutMs: 30_000 }));
    expect(r.outcome).toBe('failed');
    expect(r.detail).toMatch(/^deployment 2 DEPLOYING \d+ % \(version 5\) is still running after 30 s$/);
    expect(r.served).toEqual({ version: '4', value: true });
    expect(fake.actionsEnabled).toBe(true);
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'failed' });
  });

  const STEPS: [string, string[]][] = [
    ['monitor.suspend', ['records.write', 'monitor.suspend', 'monitor.resume', 'records.write']],
    ['stopDeployment', ['records.write', 'monitor.suspend', 'stopDeployment 2', 'monitor.resume', 'records.write']],
    ['createVersion', ['records.write', 'monitor.suspend', 'stopDeployment 2', 'createVersion', 'monitor.resume', 'records.write']],
    ['startDeployment', ['records.write', 'monitor.suspend', 'stopDeployment 2', 'createVersion', 'startDeployment 6 strat-kill', 'monitor.resume', 'records.write']],
    ['getDeployment', ['records.write', 'monitor.suspend', 'stopDeployment 2', 'createVersion', 'startDeployment 6 strat-kill', 'monitor.resume', 'records.write']],
    ['readVersion', ['records.write', 'monitor.suspend', 'stopDeployment 2', 'monitor.resume', 'records.write']],
  ];
  it.each(STEPS)('GIVEN %s fails WHEN killed THEN failed, monitor resumed, record says failed', async (op, mutations) => {
    const fake = onFake();
    fake.deployed(withCheckout(true), { running: true });
    // readVersion: the declared one is read first; fail the live read instead.
    if (op === 'readVersion') {
      const read = fake.config.readVersion;
      fake.config.readVersion = async (v: string) => {
        if (v === '4') throw new Error('ThrottlingException: Rate exceeded');
        return read(v);
      };
    } else if (op === 'getDeployment') {
      const get = fake.config.getDeployment;
      fake.config.getDeployment = async (n: number) => {
        if (n === 3) throw new Error('ThrottlingException: Rate exceeded');
        return get(n);
      };
    } else {
      fake.failures.set(op, { error: new Error('ThrottlingException: Rate exceeded') });
    }
    const r = await kill(fake);
    expect(r.outcome).toBe('failed');
    expect(r.detail).toContain('Rate exceeded');
    expect(r.error).toBeInstanceOf(Error);
    expect(fake.mutations()).toEqual(mutations);
    expect(fake.actionsEnabled).toBe(true);
    expect(r.monitorResumed).toBe(true);
    expect(fake.stored?.record.changes[0]).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('Rate exceeded') });
    expect(fake.stored?.record.monitorSuspended).toBeUndefined();
  });

  it('GIVEN the first record write fails WHEN killed THEN failed before anything changed', async () => {
    const fake = onFake();
    fake.failures.set('records.write', { error: new Error('ResourceNotFoundException') });
    const r = await kill(fake);
    expect(r.outcome).toBe('failed');
    expect(fake.mutations()).toEqual(['records.write']);
    expect(r.served).toEqual({ version: '4', value: true });
  });

  it('GIVEN the resume fails WHEN killed THEN failed although off is served, the record keeps monitorSuspended', async () => {
    const fake = onFake();
    fake.failures.set('monitor.resume', { error: new Error('AccessDenied') });
    const r = await kill(fake);
    expect(r.outcome).toBe('failed');
    expect(r.monitorResumed).toBe(false);
    expect(r.detail).toMatch(/could not enable the actions of monitor web-feature-flags-monitor again \(AccessDenied\)/);
    expect(r.served).toEqual({ version: '5', value: false });
    expect(fake.stored?.record.monitorSuspended).toMatchObject({ by: 'oncall@host' });
  });

  it('GIVEN the final record write fails WHEN killed THEN complete with a warning', async () => {
    const fake = onFake();
    const write = fake.records.write;
    let n = 0;
    fake.records.write = async (rec, v) => {
      n += 1;
      if (n === 2) throw new Error('ProvisionedThroughputExceededException');
      return write(rec, v);
    };
    const r = await kill(fake);
    expect(r.outcome).toBe('complete');
    expect(r.warnings).toEqual([expect.stringContaining('could not record the kill')]);
  });
});
