import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildReferenceApp } from '../../lib/reference-app';
import { Template } from 'aws-cdk-lib/assertions';
import { describeViolations, NagViolation, synthViolations } from '../helpers/nag-report';
import { deployedDescriptor } from '../dr/deployed-descriptor';

function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
}

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

  describe('disaster recovery', () => {
    const build = () => buildReferenceApp({ app: new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ref-app-')), context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } }) });

    it('adds a pilot-light standby of web in eu-central-1 that refers to nothing of the primary, deployed switch first, then primary, then standby', () => {
      // GIVEN / WHEN
      const { web, webStandby, failoverSwitch } = build();
      // THEN the order: the switch the primary's health check names, then the bake the standby runs
      expect(webStandby.region).toBe('eu-central-1');
      expect(failoverSwitch.region).toBe('eu-central-1');
      expect(failoverSwitch.dependencies).toEqual([]);
      expect(web.dependencies).toEqual([failoverSwitch]);
      expect(webStandby.dependencies).toEqual([web]);
      // AND no stack refers to another (names only)
      for (const stack of [web, webStandby, failoverSwitch]) {
        const json = JSON.stringify(Template.fromStack(stack).toJSON());
        expect(json).not.toContain('Fn::ImportValue');
        expect(json).not.toContain('ExportsReader');
      }
      // AND the switch exists once, in its own stack
      Template.fromStack(failoverSwitch).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bluegreen-web-dr-switch', TreatMissingData: 'ignore' });
      Template.fromStack(webStandby).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'bluegreen-web-dr-switch' }, 0);
    });

    it('runs the primary\'s baked image in the standby through the parameter its distribution writes there, without baking', () => {
      // GIVEN / WHEN
      const { web, webStandby } = build();
      const t = Template.fromStack(webStandby).toJSON();
      // THEN
      expect(Object.values(t.Resources as Record<string, { Type: string }>).filter((r) => r.Type.startsWith('AWS::ImageBuilder::'))).toEqual([]);
      expect(webStandby.bakesImage).toBe(false);
      const imageParams = Object.values(t.Parameters as Record<string, { Type: string; Default: string }>).filter((p) => p.Type === 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
      expect(imageParams.map((p) => p.Default)).toEqual([web.webImage.ssmParameterName]);
      expect(web.webImage.regions).toEqual(['eu-west-1', 'eu-central-1']);
      Template.fromStack(webStandby).hasResourceProperties('Custom::BlueGreenReleaseGuard', {
        Colours: { blue: { image: `baked:web@${web.webImage.version}`, mode: 'active' }, green: { image: `baked:web@${web.webImage.version}`, mode: 'ready' } },
      });
    });

    it('publishes each Region\'s half in its descriptor, naming its peer', () => {
      // GIVEN / WHEN
      const { web, webStandby } = build();
      const primary = deployedDescriptor(Template.fromStack(web)).disasterRecovery;
      const standby = deployedDescriptor(Template.fromStack(webStandby)).disasterRecovery;
      // THEN
      const shared = {
        primaryRegion: 'eu-west-1',
        standbyRegion: 'eu-central-1',
        standbyMode: 'pilot-light',
        standbyCapacityPercent: 0,
        failoverCapacityPercent: 100,
        allowVersionSkew: false,
        hostedZoneId: cdkJsonContext()['bluegreen:web:hostedZoneId'],
        zoneName: 'bluegreen.example.com',
        recordName: 'web.bluegreen.example.com',
        dns: { ttlSeconds: 60, intervalSeconds: 10, failureThreshold: 3, alarmPeriodSeconds: 60 },
        endpoint: { protocol: 'HTTP', port: 80, healthPath: '/health' },
        switchAlarmName: 'bluegreen-web-dr-switch',
      };
      expect(primary).toMatchObject({ ...shared, role: 'primary', regionalRecordName: 'eu-west-1.web.bluegreen.example.com', healthAlarmName: 'bluegreen-web-dr-health-eu-west-1' });
      expect(standby).toMatchObject({ ...shared, role: 'standby', regionalRecordName: 'eu-central-1.web.bluegreen.example.com', healthAlarmName: 'bluegreen-web-dr-health-eu-central-1' });
      expect(standby?.watcherFunctionName).toBeDefined();
    });
  });
});
