import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Quarantine } from '../../constructs';
import { QUARANTINE_ENV, QUARANTINE_HOOK_NAME, QUARANTINE_SWEEP_SOURCE } from '../../lib/contract';
import { buildService, resources } from '../fleet/fixtures';
import { idOf, quarantinedService } from './fixtures';

describe('Quarantine', () => {
  it('is created by the service when it quarantines, and only then', () => {
    // GIVEN / WHEN
    const { service } = quarantinedService();
    const plain = buildService();
    // THEN
    expect(service.quarantine?.node.path).toBe('Test/Web/Quarantine');
    expect(plain.service.quarantine).toBeUndefined();
    plain.template().resourceCountIs('AWS::Events::Rule', 0);
  });

  it('refuses a service that does not quarantine, naming the fix', () => {
    // GIVEN
    const { service } = buildService();
    // WHEN / THEN
    expect(() => new Quarantine(service, 'Again', { service })).toThrow(/^service: must quarantine: set healing: Healing\.quarantine\(\) on service 'web'\. Got "Test\/Web"\.$/);
  });

  describe('security group', () => {
    it('admits nothing and lets out only HTTPS (Session Manager, VPC endpoints), and says so', () => {
      // GIVEN / WHEN
      const { service, template } = quarantinedService();
      const sg = resources(template())[idOf(service, service.quarantine!.securityGroup)];
      // THEN
      expect(sg.Type).toBe('AWS::EC2::SecurityGroup');
      expect(sg.Properties?.SecurityGroupIngress).toBeUndefined();
      expect(sg.Properties?.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: expect.stringContaining('Session Manager') }]);
      expect(sg.Properties?.GroupDescription).toBe('web quarantined instances: no inbound; HTTPS out only, for Session Manager and VPC endpoints');
      expect(sg.Properties?.VpcId).toEqual({ Ref: idOf(service, service.vpc) });
    });

    it('has no ingress rule resources either', () => {
      // GIVEN / WHEN
      const { service, template } = quarantinedService();
      const sgId = idOf(service, service.quarantine!.securityGroup);
      // THEN
      const rules = Object.values(template().findResources('AWS::EC2::SecurityGroupIngress')).filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId));
      expect(rules).toEqual([]);
      expect(Object.values(template().findResources('AWS::EC2::SecurityGroupEgress')).filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId))).toEqual([]);
    });

    it('is deleted after both Auto Scaling groups: each group depends on it', () => {
      // GIVEN / WHEN
      const { service, template } = quarantinedService();
      const r = resources(template());
      const sgId = idOf(service, service.quarantine!.securityGroup);
      // THEN
      for (const fleet of [service.blue, service.green]) {
        expect(r[idOf(service, fleet.autoScalingGroup)].DependsOn).toContain(sgId);
      }
    });
  });

  it('runs the quarantine function on the termination lifecycle actions of exactly the two groups at the quarantine hook', () => {
    // GIVEN / WHEN
    const { service, template } = quarantinedService();
    // THEN
    template().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        detail: {
          AutoScalingGroupName: [{ Ref: idOf(service, service.blue.autoScalingGroup) }, { Ref: idOf(service, service.green.autoScalingGroup) }],
          LifecycleHookName: [QUARANTINE_HOOK_NAME],
        },
      },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(service, service.quarantine!.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(service, service.quarantine!.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  it('sweeps every minute with the sweep source as input, without retries', () => {
    // GIVEN / WHEN
    const { service, template } = quarantinedService();
    // THEN
    template().hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(service, service.quarantine!.function), 'Arn'] },
          Input: JSON.stringify({ source: QUARANTINE_SWEEP_SOURCE }),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  it('ships the prebundled handler on Node.js 24, arm64, with a 1-minute timeout, its own role and log group and the service\'s names', () => {
    // GIVEN / WHEN
    const { service, template } = quarantinedService();
    const q = service.quarantine!;
    // THEN
    template().hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      Role: { 'Fn::GetAtt': [idOf(service, q.role), 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: idOf(service, q.logGroup) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [idOf(service, q.deadLetterQueue), 'Arn'] } },
      Environment: {
        Variables: {
          [QUARANTINE_ENV.SERVICE_NAME]: 'web',
          [QUARANTINE_ENV.RELEASE_STATE_TABLE]: { Ref: idOf(service, service.releaseStateTable) },
        },
      },
    });
    expect(q.grantPrincipal).toBe(q.role);
  });

  it('notifies the service\'s topic when events land in its dead-letter queue', () => {
    // GIVEN / WHEN
    const { service, template } = quarantinedService();
    // THEN
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'web-quarantine-failed',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(service, service.quarantine!.deadLetterQueue), 'QueueName'] } }],
      AlarmActions: [{ Ref: idOf(service, service.topic) }],
      TreatMissingData: 'notBreaching',
    });
  });
});
