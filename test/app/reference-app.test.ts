import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp } from '../../lib/reference-app';
import { describeViolations, NagViolation, synthViolations } from '../helpers/nag-report';

/** Synthesize the reference app in-process with cdk.json's context and return cdk-nag's violations. */
function referenceViolations(acknowledge: boolean): NagViolation[] {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ref-app-'));
  return synthViolations(buildReferenceApp({ app: new App({ outdir, context: cdkJson.context }), acknowledge }).app);
}

describe('reference app', () => {
  it('passes cdk-nag AwsSolutions with only reasoned acknowledgments', () => {
    // GIVEN / WHEN
    const violations = referenceViolations(true);
    // THEN
    expect(describeViolations(violations)).toEqual([]);
  });

  it('is really checked: without its acknowledgments cdk-nag reports the public ALB and wildcard findings', () => {
    // GIVEN / WHEN
    const rules = referenceViolations(false).map((v) => v.ruleName);
    // THEN
    expect(rules).toEqual(expect.arrayContaining([expect.stringContaining('EC23'), expect.stringContaining('IAM5')]));
  });

  it('fails with a clear message when cdk.json lacks the context it needs', () => {
    // GIVEN an app without context; WHEN / THEN
    expect(() => buildReferenceApp({ app: new App() })).toThrow("cdk.json: context 'bluegreen:web:region' is missing");
  });
});
