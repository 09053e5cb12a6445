/**
 * `bluegreen release` of a service with a standby Region, in-process through `main`: each Region's release ports on
 * a FakeWorld driven by the real ReleaseEngine (test/cli/dr-fakes.ts), the DR record's copies in memory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { descriptorOf, drSection, fakePair, NEW, OLD, PRIMARY, removeTempDirs, runDr, STANDBY } from './dr-fakes';
import { jsonLines } from './harness';

afterAll(removeTempDirs);

const FAST = ['--bake', '1m', '--poll', '10s'];
const primaryHere = () => ({ region: PRIMARY, descriptor: descriptorOf(PRIMARY, drSection('primary')) });

function pairOf(mode: 'pilot-light' | 'warm-standby' = 'warm-standby') {
  const pair = fakePair();
  pair.descriptors[STANDBY] = descriptorOf(STANDBY, drSection('standby', mode));
  if (mode === 'pilot-light') {
    pair.worlds[STANDBY].setMode('blue', 'standby');
    pair.worlds[STANDBY].setMode('green', 'standby');
  }
  return pair;
}

describe('release with a standby Region', () => {
  it('releases the primary, then the standby; both serve the new version (exit 0)', async () => {
    // GIVEN
    const pair = pairOf();

    // WHEN
    const run = await runDr(['release', 'web', ...FAST, '--json'], primaryHere(), pair);

    // THEN
    expect(run.code, run.stderr).toBe(0);
    const result = jsonLines(run.stdout).at(-1);
    expect(result).toMatchObject({ kind: 'result', status: 'released', skew: false, versions: { [PRIMARY]: NEW, [STANDBY]: NEW } });
    expect(pair.worlds[PRIMARY].weights).toEqual({ blue: 0, green: 100 });
    expect(pair.worlds[STANDBY].weights).toEqual({ blue: 0, green: 100 });
    // AND the primary's events came first, each with its Region
    const messages = jsonLines(run.stdout)
      .filter((l) => l.kind === 'event')
      .map((l) => String(l.message));
    const firstStandby = messages.findIndex((m) => m.startsWith(`${STANDBY}:`));
    const lastPrimary = messages.map((m) => m.startsWith(`${PRIMARY}:`)).lastIndexOf(true);
    expect(lastPrimary).toBeGreaterThan(0);
    expect(firstStandby).toBeGreaterThan(lastPrimary);
    expect(messages).toContain(`${PRIMARY}: Promoted green: 100 % verified; the test route points at blue`);
  });

  it('a standby failure rolls back the standby only: the primary stays released, skew reported, exit 7', async () => {
    // GIVEN the standby's candidate fires its gate under traffic
    const pair = pairOf();
    pair.worlds[STANDBY].alarmRule = (c, w) => (c === 'green' && w.weights.green > 0 ? ['web-green-gate'] : []);

    // WHEN
    const run = await runDr(['release', 'web', ...FAST], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(7);
    expect(pair.worlds[PRIMARY].weights).toEqual({ blue: 0, green: 100 });
    expect(pair.worlds[STANDBY].weights).toEqual({ blue: 100, green: 0 });
    expect(run.stderr).toMatch(/\nbluegreen: web released in eu-west-1 only: eu-central-1 \(standby\) rolled-back: .*web-green-gate.*Version skew: eu-west-1 serves baked:web@2\.0\.0, eu-central-1 serves baked:web@1\.0\.0\.\n/);
    expect(run.stderr).toContain('Next: bluegreen release web --region eu-central-1 --region-only\n');
  });

  it('a primary failure rolls back the primary and leaves the standby untouched (exit 1)', async () => {
    // GIVEN
    const pair = pairOf();
    pair.worlds[PRIMARY].alarmRule = (c, w) => (c === 'green' && w.weights.green > 0 ? ['web-green-gate'] : []);

    // WHEN
    const run = await runDr(['release', 'web', ...FAST, '--json'], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(1);
    expect(pair.worlds[PRIMARY].weights).toEqual({ blue: 100, green: 0 });
    expect(pair.worlds[STANDBY].calls.filter((c) => c.mutating)).toEqual([]);
    const result = jsonLines(run.stdout).at(-1);
    expect(result).toMatchObject({ status: 'first-region-not-released', skew: false, versions: { [PRIMARY]: OLD, [STANDBY]: OLD } });
    expect((result?.regions as { result: string }[]).map((r) => r.result)).toEqual(['rolled-back', 'not-started']);
  });

  it('refuses a pause, a command hook, or declared release hooks, which a release of a DR pair does not run yet (exit 2, nothing changed)', async () => {
    // GIVEN a pair; and a primary whose descriptor declares a hook (the construct refuses that; an edited one might not)
    const pair = pairOf();
    const withHook = { region: PRIMARY, descriptor: { ...descriptorOf(PRIMARY, drSection('primary')), releaseHooks: [{ name: 'expand', point: 'pre-release' as const, kind: 'webhook' as const, target: 'https://ci.example.com/expand', timeoutSeconds: 30, retries: 0, contract: false }] } };

    // WHEN
    const paused = await runDr(['release', 'web', ...FAST, '--pause-before', '100'], primaryHere(), pair);
    const command = await runDr(['release', 'web', ...FAST, '--pre-release-cmd', 'true'], primaryHere(), pair);
    const declared = await runDr(['release', 'web', ...FAST], withHook, pair);

    // THEN
    expect([paused.code, command.code, declared.code]).toEqual([2, 2, 2]);
    expect(paused.stderr).toMatch(/has a standby Region .*cannot take a pause/);
    expect(command.stderr).toMatch(/cannot take a command hook/);
    expect(declared.stderr).toMatch(/declares release hooks \(expand\), which a release of a DR pair does not run yet/);
    expect(pair.worlds[PRIMARY].calls.filter((c) => c.mutating)).toEqual([]);
    expect(pair.worlds[STANDBY].calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('refuses while the DR record is not normal, whichever Region holds the newest copy (exit 3, nothing changed)', async () => {
    // GIVEN the primary's copy is stale (normal) and the standby's newer copy says failed over
    const pair = pairOf();
    pair.records[PRIMARY].stored = { record: { service: 'web', generation: 3, phase: 'normal', activeRegion: PRIMARY, since: 0 }, version: 1 };
    pair.records[STANDBY].stored = { record: { service: 'web', generation: 4, phase: 'failed-over', activeRegion: STANDBY, since: 0 }, version: 1 };

    // WHEN
    const run = await runDr(['release', 'web', ...FAST], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "bluegreen: Release refused, nothing changed: the DR record of web is failed-over (read from eu-west-1, eu-central-1). Releases wait until it is normal again: finish with 'bluegreen dr failback web' or 'bluegreen dr resume web'.\n",
    );
    expect(pair.worlds[PRIMARY].calls.filter((c) => c.mutating)).toEqual([]);
    expect(pair.worlds[STANDBY].calls.filter((c) => c.mutating)).toEqual([]);
  });

  it('a drill that starts while the primary releases withdraws the standby\'s release before it changes anything (exit 7)', async () => {
    // GIVEN a drill that begins (DR record failing-over) once the primary's candidate carries all traffic
    const pair = pairOf();
    pair.worlds[PRIMARY].alarmRule = (_c, w) => {
      if (w.weights.green === 100 && !pair.records[STANDBY].stored) {
        pair.records[STANDBY].stored = { record: { service: 'web', generation: 1, phase: 'failing-over', activeRegion: PRIMARY, since: 0 }, version: 1 };
      }
      return [];
    };

    // WHEN
    const run = await runDr(['release', 'web', ...FAST], primaryHere(), pair);

    // THEN the primary is released, the standby's engine claimed its record, saw the drill and withdrew
    expect(run.code).toBe(7);
    expect(pair.worlds[PRIMARY].weights).toEqual({ blue: 0, green: 100 });
    expect(pair.worlds[STANDBY].weights).toEqual({ blue: 100, green: 0 });
    expect(pair.worlds[STANDBY].calls.filter((c) => c.mutating && c.method !== 'state.write')).toEqual([]);
    expect(pair.worlds[STANDBY].stored?.state).toMatchObject({ status: 'aborted', reason: expect.stringContaining('the DR record of web is failing-over') });
    expect(run.stderr).toContain('the DR record of web is failing-over');
  });

  it('reads the record from the Regions that answer: an unreachable primary copy does not hide a failover', async () => {
    // GIVEN
    const pair = pairOf();
    pair.records[PRIMARY].unreachable = true;
    pair.records[STANDBY].stored = { record: { service: 'web', generation: 1, phase: 'failing-over', activeRegion: PRIMARY, since: 0 }, version: 1 };

    // WHEN
    const run = await runDr(['release', 'web', ...FAST], primaryHere(), pair);

    // THEN
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the DR record of web is failing-over (read from eu-central-1)');
  });

  it('releases a pilot-light standby (both colours at 0) with weights only', async () => {
    // GIVEN
    const pair = pairOf('pilot-light');

    // WHEN
    const run = await runDr(['release', 'web', ...FAST], primaryHere(), pair);

    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(pair.worlds[STANDBY].weights).toEqual({ blue: 0, green: 100 });
    expect(pair.worlds[STANDBY].count('setMode')).toBe(0);
  });

  it('--region-only releases the Region given alone; the standby given without it is bad input', async () => {
    // GIVEN
    const pair = pairOf();
    const standbyHere = { region: STANDBY, descriptor: pair.descriptors[STANDBY] };

    // WHEN
    const without = await runDr(['release', 'web', ...FAST], standbyHere, pair);
    const only = await runDr(['release', 'web', ...FAST, '--region-only'], standbyHere, pair);

    // THEN
    expect(without.code).toBe(2);
    expect(without.stderr).toBe(
      'bluegreen: --region: eu-central-1 is the standby of web; a release goes to the primary eu-west-1 first, then here. Run it with --region eu-west-1, or add --region-only to release the standby alone.\n',
    );
    expect(only.code, only.stderr).toBe(0);
    expect(only.stdout).toContain('Released web in eu-central-1 only (standby).');
    expect(pair.worlds[STANDBY].weights).toEqual({ blue: 0, green: 100 });
    expect(pair.worlds[PRIMARY].calls).toEqual([]);
  });

  it('--dry-run prints each Region\'s plan in order and changes nothing', async () => {
    const pair = pairOf();
    const run = await runDr(['release', 'web', ...FAST, '--dry-run'], primaryHere(), pair);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Dry run, nothing was changed\. Plan to release web, one Region after the other:\neu-west-1 \(primary\): [^\n]+\n( {2}\d+\. [^\n]+\n)+eu-central-1 \(standby\): /);
    expect(run.stdout).toContain('Dry run: release of web would start in eu-west-1 (primary), then eu-central-1 (standby).');
    expect(pair.worlds[PRIMARY].calls.filter((c) => c.mutating)).toEqual([]);
    expect(pair.worlds[STANDBY].calls.filter((c) => c.mutating)).toEqual([]);
  });
});
