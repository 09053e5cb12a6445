import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BlueGreenService } from '../../constructs';
import { buildReferenceApp } from '../../lib/reference-app';
import { parseDescriptor, QUARANTINE_HOOK_NAME } from '../../lib/contract';
import { buildService, resources } from '../fleet/fixtures';
import { idOf, quarantinedService, renderArn } from './fixtures';

/** The descriptor's value with references written as <Ref>/<Id.Attr>. */
function descriptorText(service: BlueGreenService): string {
  const stack = Stack.of(service);
  const param = resources(Template.fromStack(stack))[stack.getLogicalId(service.descriptorParameter.node.defaultChild as never)];
  return renderArn(param.Properties?.Value);
}

describe('descriptor healing section', () => {
  it('describes the quarantine as deployed: caps, retention, flapping, the hook, the security group and the evidence location', () => {
    // GIVEN / WHEN
    const { service } = quarantinedService({ keepPerColour: 2, keepPerService: 3, retention: Duration.hours(6), snapshots: true, flappingReplacements: 4, flappingWindow: Duration.minutes(20) });
    const d = JSON.parse(descriptorText(service));
    // THEN
    expect(d.healing).toEqual({
      quarantine: {
        keepPerColour: 2,
        keepPerService: 3,
        retentionSeconds: 6 * 3600,
        snapshots: true,
        flappingReplacements: 4,
        flappingWindowSeconds: 20 * 60,
        hookName: QUARANTINE_HOOK_NAME,
        hookTimeoutSeconds: 300,
        securityGroupId: `<${idOf(service, service.quarantine!.securityGroup)}.GroupId>`,
        evidenceBucket: `<${idOf(service, service.accessLogsBucket)}>`,
        evidencePrefix: 'quarantine/web/',
      },
    });
  });

  it('passes the contract\'s own descriptor check', () => {
    // GIVEN / WHEN
    const { service } = quarantinedService();
    // THEN
    expect(() => parseDescriptor(descriptorText(service), '/bluegreen/web/descriptor', 'web')).not.toThrow();
  });

  it('is absent when the service only replaces', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    // THEN
    expect(JSON.parse(descriptorText(service)).healing).toBeUndefined();
  });

  it('stays within the 4 KB limit of a standard SSM parameter in the reference app\'s primary (quarantine, disaster recovery, twelve alarm names, feature flags)', () => {
    // GIVEN the largest descriptor we ship, every reference replaced by a value of its kind at its realistic length
    const ctx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
    const { web } = buildReferenceApp({ app: new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'healing-descriptor-')), context: { ...ctx, 'aws:cdk:bundling-stacks': [] } }) });
    const realLength: Array<[RegExp, number]> = [
      [/Rule[0-9A-F]{8}>$/, 150], // arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<id>/<id>/<id>
      [/LoadBalancer(Production|Test)[0-9A-F]{8}>$/, 125],
      [/LoadBalancer[0-9A-F]{8}>$/, 110],
      [/\.LoadBalancerFullName>$/, 50],
      [/\.DNSName>$/, 70],
      [/TargetGroup[0-9A-F]{8}>$/, 110],
      [/\.TargetGroupFullName>$/, 60],
      [/Topic[0-9A-F]{8}>$/, 90],
      [/ReleaseState[0-9A-F]{8}>$/, 60],
      [/AutoScalingGroupASG[0-9A-F]{8}>$/, 70],
      [/LaunchTemplate[0-9A-F]{8}>$/, 20],
      [/\.ImageId>$/, 21],
      [/\.GroupId>$/, 20],
      [/AccessLogs[0-9A-F]{8}>$/, 63],
      [/HealthCheck[0-9A-F]{8}>$/, 36],
      // AppConfig ids are 7 characters; a hosted version number stays under 5 digits.
      [/FeatureFlags\w*Hosted\w*>$|FeatureFlags\w*VersionNumber>$/, 5],
      [/FeatureFlags\w*>$/, 7],
    ];
    const text = descriptorText(web.service);
    // WHEN
    const realistic = text.replace(/<[^>]+>/g, (token) => {
      const kind = realLength.find(([re]) => re.test(token));
      if (!kind) throw new Error(`no realistic length for ${token}`);
      return 'x'.repeat(kind[1]);
    });
    // THEN
    const d = JSON.parse(text);
    expect(d.healing.quarantine).toBeDefined();
    expect(d.disasterRecovery).toBeDefined();
    expect(d.featureFlags).toBeDefined();
    expect(Object.keys(d.colours.blue.alarms)).toHaveLength(6);
    expect(Buffer.byteLength(realistic)).toBeLessThan(4096);
  });
});
