import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BlueGreenDashboard, ServiceAlarms } from '../../constructs/health';
import { describeViolations, synthViolations } from '../helpers/nag-report';
import { serviceStack } from './service-fixture';


describe('health constructs under cdk-nag AwsSolutions', () => {
  it('add no findings of their own', () => {
    // GIVEN an app checked by AwsSolutions, as the reference app is
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'health-nag-'));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const { stack, service } = serviceStack({ app, greenMode: 'standby' });
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    new BlueGreenDashboard(stack, 'Dashboard', { alarms });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // WHEN
    const violations = synthViolations(app);
    fs.rmSync(outdir, { recursive: true, force: true });

    // THEN the checks ran, and none points at an alarm or the dashboard
    expect(violations.length).toBeGreaterThan(0);
    const paths = describeViolations(violations);
    expect(paths.filter((p) => /Stack\/(Alarms|Dashboard)\//.test(p))).toEqual([]);
  });
});
