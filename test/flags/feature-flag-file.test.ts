import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { FeatureFlagFile } from '../../constructs';
import { flagObject, flagsObject } from './fixtures';

const problemsOf = (data: unknown): string => {
  try {
    FeatureFlagFile.fromObject(data, 'flags/web.json');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the file to be refused');
};

describe('FeatureFlagFile', () => {
  it('reads a valid file: service, flags with defaultValue, location', () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
    const file = path.join(dir, 'web.json');
    fs.writeFileSync(file, JSON.stringify(flagsObject()));
    // WHEN
    const flags = FeatureFlagFile.fromFile(file);
    // THEN
    expect(flags.service).toBe('web');
    expect(flags.location).toBe(`flags file ${file}`);
    expect(flags.flags).toEqual([
      { name: 'release-new-checkout', description: 'New checkout flow', owner: 'team-payments', created: '2026-11-30', expiry: '2027-02-15', defaultValue: false },
      { name: 'ops-disable-recommendations', description: 'New checkout flow', owner: 'team-payments', created: '2026-11-30', expiry: '2027-11-30', defaultValue: true },
    ]);
  });

  it('names the file when it is missing or not JSON', () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ nope');
    // WHEN / THEN
    expect(() => FeatureFlagFile.fromFile(path.join(dir, 'none.json'))).toThrow(/flags file .*none\.json: cannot read the file \(ENOENT\)\. Create it or fix the path/);
    expect(() => FeatureFlagFile.fromFile(bad)).toThrow(/flags file .*bad\.json: not valid JSON/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a name breaking the convention', { name: 'newCheckout' }, /flags\[0\]\.name 'newCheckout' breaks the naming convention <kind>-<words>.*e\.g\. "release-new-checkout"/],
    ['an unknown kind', { name: 'feature-x' }, /flags\[0\]\.name 'feature-x' breaks the naming convention/],
    ['a missing owner', { owner: '' }, /flags\[0\] \(release-new-checkout\)\.owner must name who answers for the flag .*got ""/],
    ['a missing description', { description: ' ' }, /\.description must say what turning it on does .*got " "/],
    ['a bad date', { created: '2026-13-01' }, /\(release-new-checkout\)\.created must be when it was added as a date YYYY-MM-DD, got "2026-13-01"/],
    ['expiry before created', { expiry: '2026-11-01' }, /\.expiry 2026-11-01 must be after created 2026-11-30/],
    ['a release flag living too long', { expiry: '2027-06-30' }, /\.expiry 2027-06-30 is 212 days after created: a release flag lives at most 90 days; set expiry to 2027-02-28 or earlier/],
    ['a default that is not on|off', { default: true }, /\(release-new-checkout\)\.default must be "on" or "off", got true/],
    ['an unknown key', { key: 'x' }, /\(release-new-checkout\): unknown key 'key'; a flag has name, description, owner, created, expiry, default/],
  ])('refuses %s, naming the flag, the key, the value and the fix', (_what, override, message) => {
    // GIVEN / WHEN
    const error = problemsOf(flagsObject([flagObject(override)]));
    // THEN
    expect(error).toMatch(/^flags file flags\/web\.json: /);
    expect(error).toMatch(message);
  });

  it('refuses a flag declared twice, a wrong schemaVersion and a missing service', () => {
    // GIVEN / WHEN
    const error = problemsOf(flagsObject([flagObject(), flagObject()], { schemaVersion: 2, service: '' }));
    // THEN
    expect(error).toContain("flags[1].name 'release-new-checkout' is declared twice");
    expect(error).toContain('schemaVersion must be 1, got 2');
    expect(error).toContain("'service' must be the service name");
  });

  it('reports every problem at once', () => {
    // GIVEN
    const data = flagsObject([flagObject({ owner: '' }), flagObject({ name: 'ops-x', default: 'maybe' }), flagObject({ name: 'Bad' })]);
    // WHEN
    const error = problemsOf(data);
    // THEN three flags, three problems, in one message
    expect(error).toContain('flags[0] (release-new-checkout).owner');
    expect(error).toContain('flags[1] (ops-x).default must be "on" or "off", got "maybe"');
    expect(error).toContain("flags[2].name 'Bad' breaks the naming convention");
  });

  it('refuses a file that is not an object or has no flag list', () => {
    // GIVEN / WHEN / THEN
    expect(problemsOf([])).toMatch(/must be a JSON object/);
    expect(problemsOf({ schemaVersion: 1, service: 'web' })).toMatch(/'flags' must be a list of flags/);
  });

  it('lists the flags past expiry from the day after their expiry date, never as an error', () => {
    // GIVEN
    const file = FeatureFlagFile.fromObject(flagsObject(), 'flags/web.json');
    // WHEN / THEN
    expect(file.expired(new Date('2027-02-15T23:59:59Z'))).toEqual([]);
    expect(file.expired(new Date('2027-02-16T00:00:00Z')).map((f) => f.name)).toEqual(['release-new-checkout']);
    expect(file.expired(new Date('2028-01-01T00:00:00Z')).map((f) => f.name)).toEqual(['release-new-checkout', 'ops-disable-recommendations']);
  });

  it('the checked-in flags/web.json is valid, for web, with the flag the demo web reads (off) and an ops flag', () => {
    // GIVEN / WHEN
    const file = FeatureFlagFile.fromFile(path.join(__dirname, '..', '..', 'flags', 'web.json'));
    // THEN
    expect(file.service).toBe('web');
    expect(file.flags.find((f) => f.name === 'release-new-checkout')).toMatchObject({ defaultValue: false, created: '2026-11-30' });
    expect(file.flags.some((f) => f.name.startsWith('ops-') && f.defaultValue === false)).toBe(true);
  });
});
