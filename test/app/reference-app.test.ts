import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp } from '../../lib/reference-app';

interface Violation {
  ruleName: string;
  violatingConstructs: Array<{ constructPath?: string }>;
}

/** Synthesize the reference app in-process with cdk.json's context and return cdk-nag's violations. */
function synthViolations(acknowledge: boolean): Violation[] {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ref-app-'));
  const app = new App({ outdir, context: cdkJson.context });
  const exitCode = process.exitCode;
  try {
    buildReferenceApp({ app, acknowledge }).app.synth();
  } catch (e) {
    // In-process synth throws on findings; the report on disk lists them.
    if ((e as Error).name !== 'ValidationFailed') throw e;
  } finally {
    process.exitCode = exitCode; // synth marks the process failed when validation fails
  }
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((r: { violations: Violation[] }) => r.violations);
}

describe('reference app', () => {
  it('passes cdk-nag AwsSolutions with only reasoned acknowledgments', () => {
    // GIVEN / WHEN
    const violations = synthViolations(true);
    // THEN
    expect(violations.map((v) => `${v.ruleName} at ${v.violatingConstructs.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('is really checked: without its acknowledgments cdk-nag reports the public ALB and wildcard findings', () => {
    // GIVEN / WHEN
    const rules = synthViolations(false).map((v) => v.ruleName);
    // THEN
    expect(rules).toEqual(expect.arrayContaining([expect.stringContaining('EC23'), expect.stringContaining('IAM5')]));
  });

  it('fails with a clear message when cdk.json lacks the context it needs', () => {
    // GIVEN an app without context; WHEN / THEN
    expect(() => buildReferenceApp({ app: new App() })).toThrow("cdk.json: context 'bluegreen:web:region' is missing");
  });
});
