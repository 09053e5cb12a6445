/**
 * `bluegreen flags` in-process with fake engine ports (test/release/feature-flags/fakes.ts): the command line and
 * its usage errors, each exit code, text and --json output, dry runs, and a service with a standby Region.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../lib/aws';
import type { DrAccess } from '../../lib/cli/dr-access';
import { declaredFeatureFlagProfile, FeatureFlagProfile, ServiceDescriptor } from '../../lib/contract';
import { declaration, FakeFlags, SECTION } from '../release/feature-flags/fakes';
import { descriptorOf, drSection, PRIMARY, removeTempDirs, ssmOnlyClients, STANDBY, tempDir } from './dr-fakes';
import { InProcessRun, jsonLines, runMain } from './harness';

afterAll(removeTempDirs);

/** Clients that fail the test if the CLI touches AWS at all. */
const NO_AWS = new Proxy({} as AwsClients, {
  get(_, prop) {
    throw new Error(`AWS touched: clients.${String(prop)}`);
  },
});

const CHECKOUT = declaration('release-new-checkout');
const OLD = declaration('release-old-banner', { created: '2029-11-01', expiry: '2030-01-05', owner: 'team-web' });
const DECLARED = [CHECKOUT, OLD];

function profile(checkoutOn: boolean): FeatureFlagProfile {
  return { flags: declaredFeatureFlagProfile({ flags: DECLARED }).flags.map((f) => (f.name === CHECKOUT.name ? { ...f, enabled: checkoutOn } : f)) };
}

/** The flag off and live. */
function fakeOff(): FakeFlags {
  const fake = new FakeFlags(DECLARED);
  fake.deployed(profile(false));
  return fake;
}

function withFlags(d: ServiceDescriptor): ServiceDescriptor {
  return { ...d, featureFlags: SECTION };
}

function run(argv: string[], fake: FakeFlags, descriptor: ServiceDescriptor = withFlags(descriptorOf(PRIMARY))): Promise<InProcessRun> {
  return runMain(argv, tempDir(), ssmOnlyClients(PRIMARY, descriptor), { featureFlagPorts: () => fake });
}

describe('flags: command line', () => {
  const BAD: [string[], string][] = [
    [['flags', 'set', 'web', 'New-Checkout', 'on'], "bluegreen: <flag> 'New-Checkout' breaks the naming convention <kind>-<words>: kind is one of release, experiment, ops, permission, then lower-case words of letters and digits joined by single hyphens, e.g. \"release-new-checkout\". 'bluegreen flags <service>' lists the declared flags."],
    [['flags', 'set', 'web', 'release-new-checkout', 'yes'], 'bluegreen: <value>: must be on or off, e.g. bluegreen flags set web release-new-checkout on. Got "yes".'],
    [['flags', 'set', 'web', 'release-new-checkout'], 'bluegreen: missing <value>: bluegreen flags set <service> <flag> <value> [flags], e.g. bluegreen flags set web <flag> <value>.'],
    [['flags', 'kill', 'web', 'release-new-checkout'], 'bluegreen: flags kill needs --reason "...": why the flag is killed, recorded for whoever turns it back on, e.g. bluegreen flags kill web release-new-checkout --reason "5xx on checkout".'],
    [['flags', 'kill', 'web', 'release-new-checkout', '--reason', 'x', '--gradual'], 'bluegreen: --gradual: does not apply to flags kill; it is for flags set.'],
    [['flags', 'web', '--reason', 'x'], 'bluegreen: --reason: does not apply to flags list; it is for flags set, kill. Got "x".'],
    [['flags', 'set', 'web', 'release-new-checkout', 'on', '--timeout', '1s'], 'bluegreen: --timeout: must be from 10s to 24h. Got "1s".'],
    [['flags', 'set', 'web', 'release-new-checkout', 'on', '--timeout', '25h'], 'bluegreen: --timeout: must be from 10s to 24h. Got "25h".'],
    // A kill holds the monitor's actions at most 15 minutes (a holder older than that is taken for a dead kill).
    [['flags', 'kill', 'web', 'release-new-checkout', '--reason', 'x', '--timeout', '16m'], 'bluegreen: --timeout: must be from 10s to 15m. Got "16m".'],
    [['flags', 'kill', 'web', 'release-new-checkout', '--reason', 'x', '--timeout', '5s'], 'bluegreen: --timeout: must be from 10s to 15m. Got "5s".'],
  ];
  it.each(BAD)('refuses %j with exit 2 and one line, before any AWS call', async (argv, message) => {
    expect(await runMain(argv, '/nonexistent', NO_AWS)).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('documents its actions and exit codes in help, and is in the overview', async () => {
    const help = (await runMain(['flags', '--help'], '/', NO_AWS)).stdout;
    for (const line of ['bluegreen flags kill <service> <flag> --reason', 'Exit codes:', '  4  set: still deploying', '  6  kill: did not complete', 'naming convention']) expect(help).toContain(line);
    // Third review, item 6: what a kill does with another kill's deployment; exit 3 and 6 for a set that stopped its own.
    for (const line of ["another kill's deployment is waited for, never stopped", 'also a set refused after 3 attempts, or because a kill began as it started', 'set: its own deployment had to be']) {
      expect(help.replace(/\n +/g, ' ')).toContain(line);
    }
    expect((await runMain(['--help'], '/', NO_AWS)).stdout).toMatch(/\n {2}flags +feature flags \(AWS AppConfig\)/);
  });
});

describe('flags: list', () => {
  it('GIVEN live flags, debt and a suspended monitor WHEN listed THEN a table, the debt with its cleanup, the monitor warned about, changes', async () => {
    const fake = fakeOff();
    fake.actionsEnabled = false;
    fake.stored = { version: 1, record: { changes: [{ at: '2030-01-09T10:00:00Z', by: 'me@host', reason: 'launch', kind: 'set', flag: CHECKOUT.name, enabled: false, outcome: 'complete', deploymentNumber: 1, version: '4' }], monitorSuspensions: [{ by: 'x@y', since: '2030-01-10T10:00:00Z', flag: 'release-new-checkout' }] } };
    const r = await run(['flags', 'web'], fake);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`web (${PRIMARY}): 2 feature flags; live version 4 (deployment 1); declared version 3`);
    expect(lines[1]).toMatch(/^ {2}FLAG +LIVE +DEFAULT +OWNER +AGE +EXPIRY +STATUS$/);
    expect(lines[2]).toMatch(/^ {2}release-new-checkout +off +off +team-checkout +9d +2030-03-01 \(in 50d\) +ok$/);
    expect(lines[3]).toMatch(/^ {2}release-old-banner +off +off +team-web +70d +2030-01-05 \(4d ago\) +debt$/);
    expect(r.stdout).toContain('monitor      web-feature-flags-monitor OK, actions DISABLED: AppConfig will not roll a bad flag change back');
    expect(r.stdout).toContain('               held by a kill of release-new-checkout by x@y since 2030-01-10T10:00:00Z (older than the longest kill: it died; the next flags set clears it)');
    expect(r.stdout).toContain('Debt: 1 flag past expiry\n  release-old-banner (owner team-web), expired 2030-01-05\n  To clear: remove the code path that reads the flag, remove it from flags/web.json, then cdk deploy.');
    expect(r.stdout).toContain('  2030-01-09T10:00:00Z set release-new-checkout off by me@host: "launch" complete (deployment 1, version 4)');
    expect(r.stderr).toMatch(/warning: the actions of monitor web-feature-flags-monitor in eu-west-1 are DISABLED/);
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN --json WHEN listed THEN one status object', async () => {
    const r = await run(['flags', 'web', '--json'], fakeOff());
    const [obj] = jsonLines(r.stdout);
    expect(obj).toMatchObject({ kind: 'status', service: 'web', regions: [{ region: PRIMARY, liveVersion: '4', flags: [{ name: CHECKOUT.name, live: false, status: 'ok' }, { name: OLD.name, status: 'debt' }] }] });
  });

  it('GIVEN a service without feature flags WHEN listed THEN refused (3) with the fix', async () => {
    const r = await run(['flags', 'web'], fakeOff(), descriptorOf(PRIMARY));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('web has no feature flags in eu-west-1: its descriptor has no featureFlags section. Declare them with FeatureFlags');
  });
});

describe('flags: set', () => {
  it('GIVEN the flag off WHEN set on THEN 0, deployed, summary with API calls and the recorded who', async () => {
    const fake = fakeOff();
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on', '--reason', 'launch'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Set release-new-checkout on for web: version 5, deployment 2 COMPLETE \(all at once\)\.\n$/);
    expect(r.stdout).toContain('Deploying version 5 (release-new-checkout on) all at once (AppConfig.AllAtOnce): deployment 2');
    expect(fake.stored?.record.changes[0]).toMatchObject({ reason: 'launch', by: expect.stringMatching(/^[^@:]+@[^@:]+$/), outcome: 'complete' });
  });

  it('GIVEN BLUEGREEN_ACTOR WHEN set THEN the record and the version name it (not a host:pid lease id)', async () => {
    const fake = fakeOff();
    const r = await runMain(['flags', 'set', 'web', CHECKOUT.name, 'on', '--reason', 'launch'], tempDir(), ssmOnlyClients(PRIMARY, withFlags(descriptorOf(PRIMARY))), {
      featureFlagPorts: () => fake,
      env: { BLUEGREEN_ACTOR: 'pipeline-42' },
    });
    expect(r.code).toBe(0);
    expect(fake.stored?.record.changes[0].by).toBe('pipeline-42');
    expect(fake.deployments.at(-1)?.description).toBe('flags set release-new-checkout on by pipeline-42: launch');
  });

  it('GIVEN --json WHEN set THEN events then a result with the Region and outcome', async () => {
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on', '--gradual', '--json'], fakeOff());
    const lines = jsonLines(r.stdout);
    expect(lines.at(-1)).toMatchObject({ kind: 'result', status: 'done', exitCode: 0, flag: CHECKOUT.name, value: 'on', regions: [{ region: PRIMARY, outcome: 'complete', kind: 'gradual', version: '5' }] });
    expect(lines.some((l) => l.kind === 'event')).toBe(true);
  });

  it('GIVEN it is already on WHEN set on THEN 0, nothing to deploy', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('release-new-checkout is already on in version 4, which AppConfig serves: nothing to deploy.');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN a running deployment WHEN set THEN 3 naming it', async () => {
    const fake = fakeOff();
    fake.deployed(profile(true), { running: true, description: 'flags gradual release-new-checkout on by dev' });
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on'], fake);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('deployment 2 DEPLOYING 0 % (version 5: flags gradual release-new-checkout on by dev) holds the flags of web');
  });

  it('GIVEN an undeclared flag WHEN set THEN 2 naming the declared ones', async () => {
    const r = await run(['flags', 'set', 'web', 'release-nope', 'on'], fakeOff());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bluegreen: flag 'release-nope' is not declared (declared: release-new-checkout, release-old-banner): add it to the flags file and cdk deploy first\n");
  });

  it('GIVEN the monitor fires WHEN set THEN 1 with the reason', async () => {
    const fake = fakeOff();
    const sleep = fake.clock.sleep;
    fake.clock.sleep = async (ms) => {
      await sleep(ms);
      fake.alarm = 'ALARM';
    };
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on'], fake);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AppConfig rolled back deployment 2 (version 5, release-new-checkout on): alarm web-feature-flags-monitor in ALARM. web serves version 4 again, where release-new-checkout is off.');
  });

  it('GIVEN a gradual rollout longer than --timeout WHEN set THEN 4 with how to follow it', async () => {
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on', '--gradual', '--timeout', '1m'], fakeOff());
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/deployment 2 DEPLOYING \d+ % \(version 5\) is still running after 1m .*Follow it: bluegreen flags web/);
  });

  it('GIVEN --no-wait WHEN set THEN 0 once started', async () => {
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on', '--no-wait'], fakeOff());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Started deployment 2 of version 5 (release-new-checkout on, all at once)');
  });

  it('GIVEN --dry-run WHEN set THEN 0, what it would do, nothing changed', async () => {
    const fake = fakeOff();
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on', '--dry-run'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Dry run, nothing was changed: would create a version with release-new-checkout on (was off in version 4) and deploy it all at once (AppConfig.AllAtOnce).');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN AWS refuses a call WHEN set THEN 5', async () => {
    const fake = fakeOff();
    fake.failures.set('createVersion', { error: Object.assign(new Error('User is not authorized to perform: appconfig:CreateHostedConfigurationVersion'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }) });
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on'], fake);
    expect(r.code).toBe(5);
  });
});

describe('flags: kill', () => {
  it('GIVEN the flag on WHEN killed THEN 0, off, monitor resumed', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Killed release-new-checkout of web: off in version 5, deployment 2 COMPLETE in 0s; the monitor's actions are enabled again\.\n$/);
    expect(fake.actionsEnabled).toBe(true);
  });

  it('GIVEN a step fails WHEN killed THEN 6 with what is served and the next step', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    fake.failures.set('startDeployment', { error: new Error('InternalServerException: boom') });
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx', '--json'], fake);
    expect(r.code).toBe(6);
    const result = jsonLines(r.stdout).at(-1)!;
    expect(result).toMatchObject({ status: 'failed', outcome: 'failed', next: ['bluegreen flags kill web release-new-checkout --reason "5xx"', 'bluegreen flags web'] });
    expect(result.message).toContain('The kill of release-new-checkout did not complete: InternalServerException: boom. AppConfig serves version 4, where release-new-checkout is on. Run the kill again.');
    expect(fake.actionsEnabled).toBe(true);
  });

  it('GIVEN an undeclared flag WHEN killed THEN 2 naming the declared ones, nothing changed', async () => {
    const fake = fakeOff();
    const r = await run(['flags', 'kill', 'web', 'ops-nope', '--reason', 'x'], fake);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('declared: release-new-checkout, release-old-banner');
    expect(fake.mutations()).toEqual([]);
  });

  it('GIVEN --dry-run WHEN killed THEN 0 and the steps, nothing changed', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx', '--dry-run'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Dry run, nothing was changed: would disable the actions of monitor web-feature-flags-monitor (now OK); would create a version with release-new-checkout off');
    expect(fake.mutations()).toEqual([]);
  });
});

describe('flags: a service with a standby Region', () => {
  function pair(primary: FakeFlags, standby: FakeFlags) {
    const descriptors: Record<string, ServiceDescriptor> = {
      [PRIMARY]: withFlags(descriptorOf(PRIMARY, drSection('primary'))),
      [STANDBY]: withFlags(descriptorOf(STANDBY, drSection('standby'))),
    };
    const access = { clientsFor: () => NO_AWS, descriptor: async (region: string) => descriptors[region], close: () => undefined } as unknown as DrAccess;
    return (argv: string[]) =>
      runMain(argv, tempDir(), ssmOnlyClients(PRIMARY, descriptors[PRIMARY]), {
        drAccess: () => access,
        featureFlagPorts: (d) => (d.region === PRIMARY ? primary : standby),
      });
  }

  it('GIVEN two Regions WHEN killed THEN both killed', async () => {
    const [p, s] = [new FakeFlags(DECLARED), new FakeFlags(DECLARED)];
    p.deployed(profile(true));
    s.deployed(profile(true));
    const r = await pair(p, s)(['flags', 'kill', 'web', CHECKOUT.name, '--reason', 'incident']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${PRIMARY}: Killed release-new-checkout of web`);
    expect(r.stdout).toContain(`${STANDBY}: Killed release-new-checkout of web`);
    expect([p.liveVersion(), s.liveVersion()]).toEqual(['5', '5']);
  });

  it('GIVEN the standby has a deployment running WHEN set THEN 3 and neither Region changed', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    s.deployed(profile(true), { running: true });
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${STANDBY}: deployment 2 DEPLOYING`);
    expect([...p.mutations(), ...s.mutations()]).toEqual([]);
  });

  it('GIVEN two Regions WHEN set THEN primary first, then standby; listing shows both', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    const go = pair(p, s);
    const r = await go(['flags', 'set', 'web', CHECKOUT.name, 'on']);
    expect(r.code).toBe(0);
    expect(r.stdout.indexOf(`${PRIMARY}: Set`)).toBeLessThan(r.stdout.indexOf(`${STANDBY}: Set`));
    const list = await go(['flags', 'web']);
    expect(list.stdout).toContain(`web (${PRIMARY}): 2 feature flags; live version 5`);
    expect(list.stdout).toContain(`web (${STANDBY}): 2 feature flags; live version 5`);
  });

  it('GIVEN the primary is rolled back WHEN set THEN 1 and the standby not changed', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    p.alarm = 'ALARM';
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not changed in ${STANDBY}`);
    expect(s.mutations()).toEqual([]);
  });
});

describe('flags: a standby Region that cannot be reached, or refuses (defects 2, 6)', () => {
  function pair(primary: FakeFlags, standby: FakeFlags, standbyDescriptor?: Error) {
    const descriptors: Record<string, ServiceDescriptor> = {
      [PRIMARY]: withFlags(descriptorOf(PRIMARY, drSection('primary'))),
      [STANDBY]: withFlags(descriptorOf(STANDBY, drSection('standby'))),
    };
    const access = {
      clientsFor: () => NO_AWS,
      descriptor: async (region: string) => {
        if (region === STANDBY && standbyDescriptor) throw standbyDescriptor;
        return descriptors[region];
      },
      close: () => undefined,
    } as unknown as DrAccess;
    return (argv: string[]) =>
      runMain(argv, tempDir(), ssmOnlyClients(PRIMARY, descriptors[PRIMARY]), {
        drAccess: () => access,
        featureFlagPorts: (d) => (d.region === PRIMARY ? primary : standby),
      });
  }
  const outage = () => Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError', $metadata: {} });

  it('GIVEN the standby cannot be reached WHEN killed THEN the primary is killed, exit 6 naming the command to run in the standby', async () => {
    const [p, s] = [new FakeFlags(DECLARED), new FakeFlags(DECLARED)];
    p.deployed(profile(true));
    const r = await pair(p, s, outage())(['flags', 'kill', 'web', CHECKOUT.name, '--reason', 'incident', '--json']);
    expect(r.code).toBe(6);
    expect(p.liveVersion()).toBe('5');
    expect(p.content('5').flags.find((f) => f.name === CHECKOUT.name)?.enabled).toBe(false);
    const result = jsonLines(r.stdout).at(-1)!;
    expect(result.message).toContain(`${PRIMARY}: Killed release-new-checkout of web`);
    expect(result.message).toContain(`${STANDBY}: The kill of release-new-checkout did not run in ${STANDBY}`);
    expect(result.next).toContain(`bluegreen flags kill web release-new-checkout --reason "incident" --region ${STANDBY}`);
    expect(result.regions).toEqual([expect.objectContaining({ region: PRIMARY, outcome: 'complete' }), expect.objectContaining({ region: STANDBY, outcome: 'failed' })]);
  });

  it('GIVEN the flag is not declared in the standby WHEN killed THEN the primary kill is reported, exit 6', async () => {
    const [p, s] = [new FakeFlags(DECLARED), new FakeFlags([OLD])];
    p.deployed(profile(true));
    const r = await pair(p, s)(['flags', 'kill', 'web', CHECKOUT.name, '--reason', 'incident']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${PRIMARY}: Killed release-new-checkout of web`);
    expect(r.stderr).toContain("flag 'release-new-checkout' is not declared (declared: release-old-banner)");
    expect(p.liveVersion()).toBe('5');
  });

  it('GIVEN the standby cannot be read WHEN listed THEN the primary is shown and the standby named, exit 0', async () => {
    const r = await pair(fakeOff(), fakeOff(), outage())(['flags', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`web (${PRIMARY}): 2 feature flags; live version 4`);
    expect(r.stdout).toContain(`web (${STANDBY}): could not be read:`);
    expect(r.stderr).toMatch(new RegExp(`the flags of web in ${STANDBY} could not be read`));
  });

  it('GIVEN set --no-wait on a pair WHEN run THEN usage (2), nothing changed', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on', '--no-wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--no-wait: not for web, which has a standby Region');
    expect([...p.mutations(), ...s.mutations()]).toEqual([]);
  });

  it('GIVEN a kill in progress in the standby WHEN set THEN 3 before anything changed in either Region', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    s.stored = { version: 1, record: { changes: [], monitorSuspensions: [{ by: 'alice@laptop', since: new Date(s.now).toISOString(), flag: OLD.name }] } };
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${STANDBY}: a kill is in progress by alice@laptop`);
    expect([...p.mutations(), ...s.mutations()]).toEqual([]);
  });

  it('GIVEN the standby refuses after the primary changed WHEN set THEN 7 (skewed) naming the Regions and the command to bring them in step', async () => {
    // GIVEN the standby's last cdk deploy does not declare the flag yet: found only once the primary completed
    const p = fakeOff();
    const s = new FakeFlags([OLD]);
    s.deployed(declaredFeatureFlagProfile({ flags: [OLD] }));
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on', '--json']);
    expect(r.code).toBe(7);
    const result = jsonLines(r.stdout).at(-1)!;
    expect(result.status).toBe('skewed');
    expect(result.message).toContain(`${STANDBY}: not changed: flag 'release-new-checkout' is not declared`);
    expect(result.message).toContain(`The Regions differ: release-new-checkout is on in ${PRIMARY} but not in ${STANDBY}`);
    expect(result.next).toContain(`bluegreen flags set web release-new-checkout on --reason "bring ${STANDBY} in step"`);
    expect(result.next).toContain(`bluegreen flags set web release-new-checkout off --reason "undo in ${PRIMARY}"`);
    expect(p.liveVersion()).toBe('5');
    expect(s.mutations()).toEqual([]);
  });

  it('GIVEN both Regions fail with an AWS error before any change WHEN killed THEN 5, as for one Region (second review, defect 8)', async () => {
    const [p, s] = [new FakeFlags(DECLARED), new FakeFlags(DECLARED)];
    const descriptors: Record<string, ServiceDescriptor> = {
      [PRIMARY]: withFlags(descriptorOf(PRIMARY, drSection('primary'))),
      [STANDBY]: withFlags(descriptorOf(STANDBY, drSection('standby'))),
    };
    const access = { clientsFor: () => NO_AWS, descriptor: async (region: string) => descriptors[region], close: () => undefined } as unknown as DrAccess;
    const r = await runMain(['flags', 'kill', 'web', CHECKOUT.name, '--reason', 'incident'], tempDir(), ssmOnlyClients(PRIMARY, descriptors[PRIMARY]), {
      drAccess: () => access,
      featureFlagPorts: () => {
        throw outage();
      },
    });
    expect(r.code).toBe(5);
    expect([...p.mutations(), ...s.mutations()]).toEqual([]);
  });

  it('GIVEN the primary completed and the standby still deploys at --timeout WHEN set THEN 7 saying to wait for the standby, not to run the set again (second review, defect 8)', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    // The standby's rollout is slower than --timeout (the primary's is not).
    const start = s.config.startDeployment;
    s.config.startDeployment = async (v: string, strategy: string, d: string) => {
      const n = await start(v, strategy, d);
      s.deployments[n - 1].startedAt += 3_600_000;
      return n;
    };
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on', '--gradual', '--timeout', '25m', '--json']);
    expect(r.code).toBe(7);
    const result = jsonLines(r.stdout).at(-1)!;
    expect(result.message).toContain(`and ${STANDBY} is still deploying it. Wait for the standby's deployment (bluegreen flags web --region ${STANDBY}); a set now would be refused while it runs`);
    expect(result.next).toEqual([`bluegreen flags web --region ${STANDBY}`, `bluegreen flags set web release-new-checkout on --gradual --reason "bring ${STANDBY} in step"`]);
  });

  it('GIVEN the standby is rolled back after the primary changed WHEN set THEN 7 (skewed)', async () => {
    const [p, s] = [fakeOff(), fakeOff()];
    s.alarm = 'ALARM';
    const r = await pair(p, s)(['flags', 'set', 'web', CHECKOUT.name, 'on']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`The Regions differ`);
  });
});

describe('flags: kills in flight and what is served (defects 1, 4)', () => {
  it('GIVEN a kill in progress WHEN set THEN 3 naming it', async () => {
    const fake = fakeOff();
    fake.stored = { version: 1, record: { changes: [], monitorSuspensions: [{ by: 'alice@laptop', since: new Date(fake.now - 60_000).toISOString(), flag: OLD.name }] } };
    const r = await run(['flags', 'set', 'web', CHECKOUT.name, 'on'], fake);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('a kill is in progress by alice@laptop since');
  });

  it('GIVEN a kill whose deployment still runs at --timeout WHEN killed THEN 6, the monitor left disabled on purpose, how to finish', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    const r = await runMain(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx', '--timeout', '10s'], tempDir(), ssmOnlyClients(PRIMARY, { ...withFlags(descriptorOf(PRIMARY)), featureFlags: { ...SECTION, killStrategyId: 'strat-gradual' } }), {
      featureFlagPorts: () => fake,
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('The kill of release-new-checkout is still deploying');
    expect(r.stderr).toContain("The monitor's actions stay DISABLED on purpose");
    expect(r.stderr).toContain(
      'this kill still holds them, so a bluegreen flags set is refused meanwhile. Wait for the deployment to complete (bluegreen flags web), then enable them: ' +
        `aws cloudwatch enable-alarm-actions --alarm-names web-feature-flags-monitor --region ${PRIMARY}; the next bluegreen flags set then clears this kill's hold ` +
        '(or, 16 minutes after the kill started, the next bluegreen flags set clears its hold and enables them)',
    );
    expect(fake.actionsEnabled).toBe(false);
  });

  it('GIVEN a plain set that completes on its own before the kill stops it WHEN killed THEN it is not called stopped by the kill (second review, defect 5)', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(false));
    fake.deployed(profile(true), { running: true, strategy: 'AppConfig.AllAtOnce', startedMsAgo: 599_000 });
    const suspend = fake.monitor.suspend;
    fake.monitor.suspend = async () => {
      fake.now += 2_000;
      await suspend();
    };
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Killed release-new-checkout of web: off in version \d+, deployment 3 COMPLETE in \S+;/);
    expect(r.stdout).not.toContain('stopped deployment');
  });

  it('GIVEN a plain set BAKING WHEN killed THEN it says the set was stopped with AllowRevert (second review, defect 7)', async () => {
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(false));
    fake.deployed(profile(true), { running: true, strategy: 'AppConfig.AllAtOnce', startedMsAgo: 360_000 });
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(stopped deployment 2 first: it was BAKING, so stopped with AllowRevert)');
  });

  it('GIVEN a plain set BAKING and a stop that fails WHEN killed THEN 6 saying the BAKING version is served to 100 %', async () => {
    const fake = fakeOff();
    fake.deployed(profile(true), { running: true, strategy: 'AppConfig.AllAtOnce', startedMsAgo: 360_000 });
    fake.failures.set('stopDeployment', { error: new Error('InternalServerException: boom'), always: true });
    const r = await run(['flags', 'kill', 'web', CHECKOUT.name, '--reason', '5xx'], fake);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('AppConfig serves version 4, where release-new-checkout is off; deployment 2 BAKING: serving version 5 (release-new-checkout on) to 100 %.');
  });

  it('GIVEN a plain set BAKING WHEN listed THEN the deployment line says what it serves to 100 %', async () => {
    const fake = fakeOff();
    fake.deployed(profile(true), { running: true, strategy: 'AppConfig.AllAtOnce', startedMsAgo: 360_000 });
    const r = await run(['flags', 'web'], fake);
    expect(r.stdout).toContain('               deployment 2 BAKING: serving version 5 (release-new-checkout on) to 100 %');
  });
});

describe('flags: the status line', () => {
  it('GIVEN flags with debt and a running deployment WHEN summarised THEN one line with counts and the deployment', async () => {
    const { listFeatureFlags } = await import('../../lib/release/feature-flags');
    const { featureFlagsStatusLine } = await import('../../lib/cli/feature-flags-view');
    const fake = new FakeFlags(DECLARED);
    fake.deployed(profile(true));
    fake.deployed(profile(false), { running: true });
    fake.actionsEnabled = false;
    const listing = await listFeatureFlags(fake, SECTION, fake.now);
    expect(featureFlagsStatusLine(listing)).toBe('2 declared, 1 on, 1 debt; deployment 2 DEPLOYING 0 %; monitor actions DISABLED');
  });
});
