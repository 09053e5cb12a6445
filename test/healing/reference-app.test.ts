import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp } from '../../lib/reference-app';
import { describeViolations, synthViolations } from '../helpers/nag-report';
import { quarantinedService } from './fixtures';

describe('quarantine in the reference app and under cdk-nag', () => {
  it('quarantines in the primary Region; the pilot-light standby only replaces', () => {
    // GIVEN / WHEN
    const ctx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
    const { web, webStandby } = buildReferenceApp({ app: new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ref-app-')), context: { ...ctx, 'aws:cdk:bundling-stacks': [] } }) });
    // THEN
    expect(web.service.healing.name).toBe('quarantine');
    expect(web.service.quarantine).toBeDefined();
    expect(web.alarms.blue.flapping).toBeDefined();
    expect(webStandby.service.healing.name).toBe('replace');
    expect(webStandby.service.quarantine).toBeUndefined();
  });

  it('adds no AwsSolutions findings but the wildcard resources a reasoned acknowledgment must cover', () => {
    // GIVEN a quarantining service in an app checked by AwsSolutions
    const { stack, service } = quarantinedService({ snapshots: true });
    const app = stack.node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN
    const violations = synthViolations(app);
    // THEN every finding under the quarantine is IAM5 on its role's policy
    const quarantine = describeViolations(violations).filter((v) => v.includes(`${service.node.path}/Quarantine/`));
    expect(quarantine.length).toBeGreaterThan(0);
    expect(quarantine.filter((v) => !/^AwsSolutions-IAM5\[Resource::.*\] at Test\/Web\/Quarantine\/Role\/DefaultPolicy\/Resource$/.test(v))).toEqual([]);
    // and the hook and the groups add none
    expect(describeViolations(violations).filter((v) => /AutoScalingGroup/.test(v.split(' at ')[1]))).toEqual([]);
  });
});
