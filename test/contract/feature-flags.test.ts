import { describe, expect, it } from 'vitest';
import {
  declaredFeatureFlagProfile,
  featureFlagAgentPath,
  featureFlagDebt,
  featureFlagExpired,
  featureFlagKind,
  featureFlagNameProblems,
  featureFlagsDescriptorProblems,
  FeatureFlagProfile,
  InvalidFeatureFlagFileError,
  InvalidFeatureFlagProfileError,
  nextFeatureFlagProfile,
  parseFeatureFlagFile,
  readFeatureFlagProfile,
  renderFeatureFlagProfile,
  UndeclaredFeatureFlagError,
} from '../../lib/contract';

const flag = (over: Record<string, unknown> = {}) => ({
  name: 'release-new-checkout',
  description: 'New checkout flow',
  owner: 'team-payments',
  created: '2026-11-20',
  expiry: '2027-01-31',
  default: 'off',
  ...over,
});
const file = (flags: unknown[], over: Record<string, unknown> = {}) => ({ schemaVersion: 1, service: 'web', flags, ...over });

function problemsOf(data: unknown): readonly string[] {
  try {
    parseFeatureFlagFile(data, 'flags file flags/web.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidFeatureFlagFileError);
    expect((e as Error).message).toMatch(/^flags file flags\/web\.json: /);
    return (e as InvalidFeatureFlagFileError).problems;
  }
  throw new Error('expected the file to be refused');
}

describe('parseFeatureFlagFile', () => {
  it('reads a valid file, defaults as booleans', () => {
    // GIVEN a file with an off release flag and an on ops flag
    const data = file([flag(), flag({ name: 'ops-disable-recommendations', default: 'on', expiry: '2027-11-01' })]);
    // WHEN parsed
    const doc = parseFeatureFlagFile(data, 'flags file');
    // THEN both flags, in order, with boolean defaults
    expect(doc.service).toBe('web');
    expect(doc.flags.map((f) => [f.name, f.default])).toEqual([
      ['release-new-checkout', false],
      ['ops-disable-recommendations', true],
    ]);
  });

  it.each([
    ['newCheckout', /naming convention <kind>-<words>/],
    ['feature-new-checkout', /kind is one of release, experiment, ops, permission/],
    ['release-New-checkout', /naming convention/],
    ['release--double', /naming convention/],
    ['release-', /naming convention/],
    [`release-${'a'.repeat(60)}`, /at most 64/],
    ['', /must be a flag name such as "release-new-checkout"/],
  ])('refuses the name %j, naming the convention', (name, message) => {
    // GIVEN a flag whose name breaks the convention WHEN parsed THEN one problem names it
    const problems = problemsOf(file([flag({ name })]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('lists every problem at once, each naming the flag, key and value', () => {
    // GIVEN a flag with no owner, a bad date, a reversed expiry elsewhere, a bad default and an unknown key
    const data = file([
      flag({ owner: '', created: '2026-13-01' }),
      flag({ name: 'ops-kill-search', created: '2026-11-20', expiry: '2026-11-01', default: true, colour: 'blue' }),
    ]);
    // WHEN parsed
    const problems = problemsOf(data);
    // THEN all five problems, with the flag named
    expect(problems).toEqual([
      expect.stringMatching(/^flags\[0\] \(release-new-checkout\)\.owner must name who answers for the flag.*got ""/),
      expect.stringMatching(/^flags\[0\] \(release-new-checkout\)\.created must be when it was added as a date YYYY-MM-DD, got "2026-13-01"/),
      expect.stringMatching(/^flags\[1\] \(ops-kill-search\): unknown key 'colour'/),
      expect.stringMatching(/^flags\[1\] \(ops-kill-search\)\.expiry 2026-11-01 must be after created 2026-11-20/),
      expect.stringMatching(/^flags\[1\] \(ops-kill-search\)\.default must be "on" or "off", got true/),
    ]);
  });

  it('refuses a lifetime longer than the kind allows, giving the latest expiry', () => {
    // GIVEN a release flag living 120 days (release flags: 90)
    const problems = problemsOf(file([flag({ created: '2026-11-01', expiry: '2027-03-01' })]));
    // THEN the message gives the kind's limit and the latest date
    expect(problems).toEqual([expect.stringMatching(/is 120 days after created: a release flag lives at most 90 days; set expiry to 2027-01-30 or earlier/)]);
    // AND an ops flag may live that long
    expect(parseFeatureFlagFile(file([flag({ name: 'ops-x', created: '2026-11-01', expiry: '2027-03-01' })]), 'f').flags).toHaveLength(1);
  });

  it('refuses duplicates, a wrong schema version, a missing service and unknown top-level keys', () => {
    const problems = problemsOf(file([flag(), flag()], { schemaVersion: 2, service: '', extra: 1 }));
    expect(problems).toEqual([
      "unknown key 'extra'; the keys are schemaVersion, service, flags",
      'schemaVersion must be 1, got 2',
      expect.stringMatching(/^'service' must be the service name/),
      "flags[1].name 'release-new-checkout' is declared twice: flag names must be unique",
    ]);
  });

  it('refuses a file that is not an object or has no flag list', () => {
    expect(problemsOf([])[0]).toMatch(/must be a JSON object/);
    expect(problemsOf({ schemaVersion: 1, service: 'web' })[0]).toMatch(/'flags' must be a list of flags/);
  });

  it('does not refuse an expired flag: time passing must not break a build', () => {
    const doc = parseFeatureFlagFile(file([flag({ created: '2020-01-01', expiry: '2020-02-01' })]), 'f');
    expect(featureFlagDebt(doc.flags, Date.parse('2026-11-30T00:00:00Z')).map((f) => f.name)).toEqual(['release-new-checkout']);
  });
});

describe('expiry and debt', () => {
  it('a flag expires the day after its expiry date (UTC)', () => {
    const f = { expiry: '2027-01-31' };
    expect(featureFlagExpired(f, Date.parse('2027-01-31T23:59:59Z'))).toBe(false);
    expect(featureFlagExpired(f, Date.parse('2027-02-01T00:00:00Z'))).toBe(true);
  });
});

describe('names', () => {
  it('gives each flag its kind and the agent path', () => {
    expect(featureFlagKind('experiment-blue-button')).toBe('experiment');
    expect(featureFlagNameProblems('permission-beta-users')).toEqual([]);
    expect(featureFlagAgentPath('web', 'release-new-checkout')).toBe('/applications/bluegreen-web/environments/live/configurations/feature-flags?flag=release-new-checkout');
  });
});

describe('profile content', () => {
  const declared = declaredFeatureFlagProfile(
    parseFeatureFlagFile(file([flag(), flag({ name: 'ops-disable-recommendations', default: 'on', expiry: '2027-11-01' })]), 'f'),
  );

  it('renders AppConfig feature-flag JSON and reads it back unchanged', () => {
    // WHEN rendered
    const json = renderFeatureFlagProfile(declared);
    const raw = JSON.parse(json);
    // THEN AppConfig's shape: version 1, definitions with the deprecation date, values with enabled
    expect(raw.version).toBe('1');
    expect(raw.flags['release-new-checkout']).toMatchObject({ name: 'release-new-checkout', description: 'New checkout flow', _deprecation: { status: 'planned', date: '2027-01-31' } });
    expect(raw.values['ops-disable-recommendations']).toEqual({ enabled: true, owner: 'team-payments', created: '2026-11-20' });
    for (const key of Object.keys(raw.flags)) expect(key).toMatch(/^[a-z][a-zA-Z\d_-]{0,63}$/);
    // AND it reads back to the same profile
    expect(readFeatureFlagProfile(json)).toEqual(declared);
  });

  it('reads a version written elsewhere (no attributes, no values) as unknown owner and off', () => {
    const read = readFeatureFlagProfile(JSON.stringify({ version: '1', flags: { 'ops-x': { name: 'ops-x' } } }));
    expect(read.flags).toEqual([{ name: 'ops-x', description: '', owner: '', created: '', expiry: '', enabled: false }]);
  });

  it.each([['not json', /not JSON/], ['{"version":"2","flags":{}}', /not AppConfig feature-flag JSON/]])('refuses %j', (content, message) => {
    expect(() => readFeatureFlagProfile(content)).toThrow(InvalidFeatureFlagProfileError);
    expect(() => readFeatureFlagProfile(content)).toThrow(message);
  });
});

describe('nextFeatureFlagProfile', () => {
  const entry = (name: string, enabled: boolean, description = 'd') => ({ name, description, owner: 'o', created: '2026-11-01', expiry: '2027-01-01', enabled });
  const declared: FeatureFlagProfile = { flags: [entry('release-a', false, 'new text'), entry('release-b', false), entry('release-new', true)] };
  const live: FeatureFlagProfile = { flags: [entry('release-a', true, 'old text'), entry('release-b', true), entry('release-gone', true)] };

  it('keeps live values, defaults new flags, drops undeclared ones, takes definitions from the declared version', () => {
    // WHEN release-b is turned off
    const next = nextFeatureFlagProfile(declared, live, { flag: 'release-b', enabled: false });
    // THEN a stays on (live), b is off (the change), new is at its default, gone is dropped; a's text is the declared one
    expect(next.flags.map((f) => [f.name, f.enabled])).toEqual([
      ['release-a', true],
      ['release-b', false],
      ['release-new', true],
    ]);
    expect(next.flags[0].description).toBe('new text');
  });

  it('starts from the defaults when nothing is live yet', () => {
    const next = nextFeatureFlagProfile(declared, undefined, { flag: 'release-a', enabled: true });
    expect(next.flags.map((f) => f.enabled)).toEqual([true, false, true]);
  });

  it('refuses a flag that is not declared, listing the declared ones', () => {
    expect(() => nextFeatureFlagProfile(declared, live, { flag: 'release-gone', enabled: false })).toThrow(UndeclaredFeatureFlagError);
    expect(() => nextFeatureFlagProfile(declared, live, { flag: 'release-gone', enabled: false })).toThrow(
      "flag 'release-gone' is not declared (declared: release-a, release-b, release-new): add it to the flags file and cdk deploy first",
    );
  });
});

describe('descriptor section', () => {
  it('accepts an absent or complete section and names each missing field', () => {
    expect(featureFlagsDescriptorProblems(undefined)).toEqual([]);
    const full = { applicationId: 'a', environmentId: 'e', profileId: 'p', declaredVersion: '3', gradualStrategyId: 'g', killStrategyId: 'k', monitorAlarmName: 'm' };
    expect(featureFlagsDescriptorProblems(full)).toEqual([]);
    expect(featureFlagsDescriptorProblems({ ...full, killStrategyId: '', declaredVersion: 3 })).toEqual([
      'featureFlags.declaredVersion must be a non-empty string, got 3',
      'featureFlags.killStrategyId must be a non-empty string, got ""',
    ]);
  });
});
