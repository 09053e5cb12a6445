import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { CapacityMode, Colour, ReleaseManifest } from '../../constructs';
import { AMI_BLUE, AMI_GREEN, manifestObject } from './fixtures';

function writeTemp(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
  const file = path.join(dir, 'web.json');
  fs.writeFileSync(file, content);
  return file;
}

describe('ReleaseManifest', () => {
  it('loads a valid file', () => {
    // GIVEN
    const file = writeTemp(JSON.stringify(manifestObject()));
    // WHEN
    const m = ReleaseManifest.fromFile(file);
    // THEN
    expect(m.service).toBe('web');
    expect(m.colour(Colour.BLUE)).toEqual({ image: AMI_BLUE, mode: CapacityMode.ACTIVE });
    expect(m.colour(Colour.GREEN)).toEqual({ image: AMI_GREEN, mode: CapacityMode.READY });
  });

  it('round-trips through toJson with stable key order', () => {
    // GIVEN
    const m = ReleaseManifest.fromObject(manifestObject());
    // WHEN
    const again = ReleaseManifest.fromObject(JSON.parse(m.toJson()));
    // THEN
    expect(again.toJson()).toBe(m.toJson());
    expect(Object.keys(JSON.parse(m.toJson()))).toEqual(['schemaVersion', 'service', 'blue', 'green']);
  });

  it('replaces only one colour with withColour', () => {
    // GIVEN
    const m = ReleaseManifest.fromObject(manifestObject());
    // WHEN
    const staged = m.withColour(Colour.GREEN, { image: 'ami-00000000000000001', mode: CapacityMode.READY });
    // THEN
    expect(staged.green.image).toBe('ami-00000000000000001');
    expect(staged.blue).toBe(m.blue);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['an unknown top-level key', manifestObject({ owner: 'me' }), /^release manifest: unknown key 'owner'\. Allowed keys: schemaVersion, service, blue, green\.$/],
    ['an unknown colour', manifestObject({ red: { image: AMI_BLUE, mode: 'ready' } }), /^release manifest: unknown colour 'red'\. Use 'blue' or 'green'\.$/],
    ['a missing colour', { schemaVersion: 1, service: 'web', blue: { image: AMI_BLUE, mode: 'active' } }, /^release manifest: missing colour 'green'\. Add "green"/],
    ['an unknown key in a colour', manifestObject({ blue: { image: AMI_BLUE, mode: 'active', weight: 100 } }), /^release manifest: blue: unknown key 'weight'\. Allowed keys: image, mode\.$/],
    ['an unknown mode', manifestObject({ green: { image: AMI_GREEN, mode: 'warm' } }), /^release manifest: green\.mode: unknown capacity mode 'warm'\. Use 'active', 'ready' or 'standby'\.$/],
    ['a missing image', manifestObject({ green: { mode: 'ready' } }), /^release manifest: green\.image must be an image reference/],
    ['a wrong schema version', manifestObject({ schemaVersion: 2 }), /^release manifest: schemaVersion must be 1, got 2\.$/],
    ['a missing service', manifestObject({ service: '' }), /^release manifest: 'service' must be the service name/],
    ['a non-object', [1, 2], /^release manifest: expected a JSON object, got \[1,2\]\.$/],
  ];
  for (const [name, data, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => ReleaseManifest.fromObject(data)).toThrow(message);
    });
  }

  it('names the file when it is not JSON', () => {
    // GIVEN
    const file = writeTemp('{ nope');
    // WHEN / THEN
    expect(() => ReleaseManifest.fromFile(file)).toThrow(new RegExp(`^release manifest ${file}: not valid JSON`));
  });

  it('names the file and the fix when it is missing', () => {
    expect(() => ReleaseManifest.fromFile('/nonexistent/web.json')).toThrow(
      /^release manifest \/nonexistent\/web\.json: cannot read the file \(ENOENT\)\. Create it or fix the path\.$/,
    );
  });

  it('names the file in validation errors', () => {
    // GIVEN
    const file = writeTemp(JSON.stringify(manifestObject({ extra: true })));
    // WHEN / THEN
    expect(() => ReleaseManifest.fromFile(file)).toThrow(new RegExp(`^release manifest ${file}: unknown key 'extra'`));
  });
});
