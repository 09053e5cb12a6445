import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ImageComponent } from '../../constructs';
import { parseYaml } from './fixtures';

interface Doc {
  name: string;
  schemaVersion: number;
  phases: Array<{ name: string; steps: Array<{ name: string; action: string; inputs: unknown }> }>;
}

describe('ImageComponent', () => {
  it('renders steps as an AWSTOE document: files first, then build commands, then validate', () => {
    // GIVEN / WHEN
    const component = ImageComponent.fromSteps({
      name: 'web',
      files: [{ path: '/opt/web/app.conf', content: 'key: "value" # not a comment\n', permissions: '0600' }],
      buildCommands: ['dnf install -y nginx', 'echo "a: b" > /tmp/x'],
      validateCommands: ['nginx -t'],
    });
    // THEN
    expect(component.documents).toHaveLength(1);
    const doc = parseYaml(component.documents[0].data) as Doc;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.phases.map((p) => p.name)).toEqual(['build', 'validate']);
    expect(doc.phases[0].steps.map((s) => s.action)).toEqual(['ExecuteBash', 'CreateFile', 'ExecuteBash']);
    expect(doc.phases[0].steps[0].inputs).toEqual({ commands: ['set -eo pipefail', 'mkdir -p /opt/web'] });
    expect(doc.phases[0].steps[1].inputs).toEqual([
      { path: '/opt/web/app.conf', content: 'key: "value" # not a comment\n', owner: 'root', group: 'root', permissions: '0600', overwrite: true },
    ]);
    expect(doc.phases[0].steps[2].inputs).toEqual({ commands: ['set -eo pipefail', 'dnf install -y nginx', 'echo "a: b" > /tmp/x'] });
    expect(doc.phases[1].steps[0].inputs).toEqual({ commands: ['set -eo pipefail', 'nginx -t'] });
  });

  it('puts test commands in a document of their own, which Image Builder runs on an instance of the new image', () => {
    // GIVEN / WHEN
    const component = ImageComponent.fromSteps({ name: 'web', buildCommands: ['true'], testCommands: ['curl -fsS localhost/health'] });
    // THEN
    expect(component.documents.map((d) => [d.name, d.testStage])).toEqual([
      ['web', false],
      ['web-test', true],
    ]);
    const test = parseYaml(component.documents[1].data) as Doc;
    expect(test.phases.map((p) => p.name)).toEqual(['test']);
    expect(test.phases[0].steps[0].inputs).toEqual({ commands: ['set -eo pipefail', 'curl -fsS localhost/health'] });
  });

  it('reads an AWSTOE document from a file, as is, and names it after the file', () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toe-'));
    const text = 'name: smoke\nschemaVersion: 1.0\nphases:\n  - name: test\n    steps:\n      - name: Check\n        action: ExecuteBash\n        inputs:\n          commands: ["true"]\n';
    fs.writeFileSync(path.join(dir, 'smoke-test.yml'), text);
    // WHEN
    const component = ImageComponent.fromFile(path.join(dir, 'smoke-test.yml'));
    const renamed = ImageComponent.fromFile(path.join(dir, 'smoke-test.yml'), { name: 'smoke' });
    // THEN
    expect(component.name).toBe('smoke-test');
    expect(component.documents).toEqual([{ name: 'smoke-test', description: 'smoke-test', data: text, testStage: true }]);
    expect(component.warnings).toEqual([]);
    expect(renamed.name).toBe('smoke');
  });

  it('treats a file with build phases as a build-stage component', () => {
    // GIVEN
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'toe-')), 'app.yaml');
    fs.writeFileSync(file, "schemaVersion: 1.0\nphases:\n  - name: 'build'\n    steps:\n      - name: test\n        action: ExecuteBash\n        inputs: { commands: ['true'] }\n  - name: validate\n    steps: []\n");
    // WHEN
    const component = ImageComponent.fromFile(file);
    // THEN a step called "test" is not mistaken for a test phase
    expect(component.documents[0].testStage).toBe(false);
    expect(component.warnings).toEqual([]);
  });
});
