import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

/** One finding of a validation plugin (cdk-nag), as written to validation-report.json. */
export interface NagViolation {
  readonly ruleName: string;
  readonly violatingConstructs: Array<{ readonly constructPath?: string }>;
}

/**
 * Synthesize `app` with its validation plugins and return their findings.
 *
 * In-process synth throws `ValidationFailed` on findings and marks the process failed; the report on disk lists
 * them, so this reads it and restores the exit code.
 */
export function synthViolations(app: App): NagViolation[] {
  const exitCode = process.exitCode;
  try {
    app.synth();
  } catch (e) {
    if ((e as Error).name !== 'ValidationFailed') throw e;
  } finally {
    process.exitCode = exitCode;
  }
  const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((r: { violations: NagViolation[] }) => r.violations);
}

/** Each finding as `<rule> at <construct path>`, one per violating construct. */
export function describeViolations(violations: NagViolation[]): string[] {
  return violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`));
}
