import { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, expect, it } from 'vitest';
import { buildService, idsOfType, resources } from './fixtures';

describe('BlueGreenService resources', () => {
  it('creates two Auto Scaling groups with EC2 + ELB health checks and a grace period', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
    t.allResourcesProperties('AWS::AutoScaling::AutoScalingGroup', {
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 300,
      TargetGroupARNs: [Match.anyValue()],
      NotificationConfigurations: [Match.objectLike({ NotificationTypes: Match.arrayWith(['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE']) })],
      VPCZoneIdentifier: [Match.anyValue(), Match.anyValue()],
    });
  });

  it('pins DesiredCapacity only when desiredCapacity is set explicitly', () => {
    // GIVEN / WHEN
    const pinned = buildService({ minCapacity: 2, desiredCapacity: 3, maxCapacity: 5 }).template();
    const unpinned = buildService({ minCapacity: 2, maxCapacity: 5 }).template();
    // THEN
    pinned.allResourcesProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '5', DesiredCapacity: '3' });
    unpinned.allResourcesProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '5', DesiredCapacity: Match.absent() });
  });

  it('sizes colours by capacity mode: active and ready serve, standby is zero', () => {
    // GIVEN / WHEN
    const { service, template } = buildService({ minCapacity: 3 }, {
      schemaVersion: 1,
      service: 'web',
      blue: { image: 'ami-0123456789abcdef0', mode: 'active' },
      green: { image: 'ami-0123456789abcdef0', mode: 'standby' },
    });
    // THEN
    const t = template();
    const asg = (id: string) => resources(t)[Stack.of(service).getLogicalId(service.node.findChild(id).node.findChild('AutoScalingGroup').node.defaultChild as never)].Properties;
    expect(asg('Blue')).toMatchObject({ MinSize: '3', MaxSize: '4' });
    expect(asg('Green')).toMatchObject({ MinSize: '0', MaxSize: '0' });
    expect(asg('Blue')?.DesiredCapacity).toBeUndefined();
  });

  it('creates one target group per colour with the health-check defaults and a short deregistration delay', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    t.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });

  it('carries live traffic on ONE weighted forward covering both colours: blue 100, green 0', () => {
    // GIVEN / WHEN
    const { service, template } = buildService();
    // THEN
    const t = template();
    const stack = Stack.of(service);
    const blueTg = stack.resolve(service.blue.targetGroup.targetGroupArn);
    const greenTg = stack.resolve(service.green.targetGroup.targetGroupArn);
    const prodListener = stack.resolve(service.productionListener.listenerArn);
    const weighted = Object.values(resources(t)).filter(
      (r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule' && JSON.stringify(r.Properties?.ListenerArn) === JSON.stringify(prodListener),
    );
    expect(weighted).toHaveLength(1);
    expect(weighted[0].Properties).toMatchObject({
      Priority: 50000,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blueTg, Weight: 100 }, { TargetGroupArn: greenTg, Weight: 0 }] } }],
    });
  });

  it('points the test listener at the idle colour (green) on its own port, reachable only from allowed CIDRs', () => {
    // GIVEN / WHEN
    const { service, template } = buildService({ testListener: { port: 9000, allowedCidrs: ['192.0.2.0/24'] } });
    // THEN
    const t = template();
    const stack = Stack.of(service);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9000, Protocol: 'HTTP' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: stack.resolve(service.testListener.listenerArn),
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: stack.resolve(service.blue.targetGroup.targetGroupArn), Weight: 0 },
              { TargetGroupArn: stack.resolve(service.green.targetGroup.targetGroupArn), Weight: 100 },
            ],
          },
        },
      ],
    });
    const ingress = new Capture();
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: 'web load balancer', SecurityGroupIngress: ingress });
    const test = (ingress.asArray() as Array<{ FromPort: number; CidrIp: string }>).filter((r) => r.FromPort === 9000);
    expect(test.map((r) => r.CidrIp)).toEqual(['192.0.2.0/24']);
  });

  it('requires IMDSv2 and encrypted gp3 root volumes on both launch templates, with no SSH key', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.resourceCountIs('AWS::EC2::LaunchTemplate', 2);
    t.allResourcesProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8, DeleteOnTermination: true } }],
        KeyName: Match.absent(),
        IamInstanceProfile: Match.anyValue(),
      }),
    });
  });

  it('admits instance traffic only from the load balancer security group, on the app port', () => {
    // GIVEN / WHEN
    const { service, template } = buildService();
    // THEN
    const t = template();
    const stack = Stack.of(service);
    const albSg = stack.resolve(service.loadBalancerSecurityGroup.securityGroupId);
    for (const fleet of [service.blue, service.green]) {
      const sgId = stack.resolve(fleet.securityGroup.securityGroupId);
      const ingress = Object.values(resources(t)).filter(
        (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties?.GroupId) === JSON.stringify(sgId),
      );
      expect(ingress.length).toBeGreaterThan(0);
      for (const rule of ingress) {
        expect(rule.Properties).toMatchObject({ SourceSecurityGroupId: albSg, FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp' });
      }
      const inline = (resources(t)[stack.getLogicalId(fleet.securityGroup.node.defaultChild as never)].Properties ?? {}) as { SecurityGroupIngress?: unknown };
      expect(inline.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('opens a custom health-check port both ways: instance ingress and load balancer egress', () => {
    // GIVEN / WHEN
    const { service, template } = buildService({ healthCheck: { port: 9000 } });
    // THEN
    const t = template();
    const stack = Stack.of(service);
    const albSg = stack.resolve(service.loadBalancerSecurityGroup.securityGroupId);
    for (const fleet of [service.blue, service.green]) {
      const sg = stack.resolve(fleet.securityGroup.securityGroupId);
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: sg, SourceSecurityGroupId: albSg, FromPort: 9000, ToPort: 9000 });
      t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: albSg, DestinationSecurityGroupId: sg, FromPort: 9000, ToPort: 9000 });
    }
  });

  const warnings = (svc: { node: { findAll(): Array<{ node: { metadata: Array<{ type: string; data: unknown }> } }> } }) =>
    svc.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data)));

  it('warns that private CIDRs or security groups cannot reach the test listener of an internet-facing load balancer', () => {
    // GIVEN / WHEN
    const { service } = buildService({ testListener: { allowedCidrs: ['10.0.0.0/8', '198.51.100.0/24'] } });
    // THEN
    expect(warnings(service)).toContainEqual(expect.stringContaining('private ranges (10.0.0.0/8) never match'));
  });

  it('does not warn about reachability for public CIDRs, or for an internal load balancer', () => {
    const publicCidr = buildService({ testListener: { allowedCidrs: ['198.51.100.0/24'] } }).service;
    const internal = buildService({ internetFacing: false, testListener: { allowedCidrs: ['10.0.0.0/8'] } }).service;
    expect(warnings(publicCidr).filter((w) => w.includes('never match'))).toEqual([]);
    expect(warnings(internal).filter((w) => w.includes('never match'))).toEqual([]);
  });

  it('grants instances Session Manager through a customer policy, not a managed one', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] }),
      ManagedPolicyArns: Match.absent(),
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['ssm:UpdateInstanceInformation', 'ssmmessages:OpenDataChannel']) })], Version: '2012-10-17' },
    });
  });

  it('drops invalid headers and writes access logs to an encrypted, SSL-only bucket', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('serves HTTPS with the given certificate, redirects port 80, and does not warn', () => {
    // GIVEN
    const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
    // WHEN
    const { service, template } = buildService({
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
    });
    // THEN
    const t = template();
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: certificateArn }], SslPolicy: Match.stringLikeRegexp('TLS') });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8443, Protocol: 'HTTPS' });
    const warnings = service.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:warning'));
    expect(warnings.map((w) => String(w.data))).not.toContainEqual(expect.stringContaining('plain HTTP'));
  });

  it('warns when no certificate is given, naming the fix', () => {
    // GIVEN / WHEN
    const { service } = buildService();
    // THEN
    const warnings = service.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:warning'));
    expect(warnings.map((w) => String(w.data))).toContainEqual(expect.stringContaining('Pass certificates for HTTPS'));
  });

  it('creates a VPC with flow logs when none is given', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    template().resourceCountIs('AWS::EC2::VPC', 1);
    template().hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'REJECT' });
  });

  it('encrypts the notifications topic with a rotating key and enforces SSL', () => {
    // GIVEN / WHEN
    const { template } = buildService();
    // THEN
    const t = template();
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('exposes the instances as connectable and the instance role as grant principal', () => {
    // GIVEN
    const { service } = buildService();
    // THEN
    expect(service.connections.securityGroups).toEqual([service.blue.securityGroup, service.green.securityGroup]);
    expect(service.grantPrincipal).toBe(service.instanceRole);
    expect(idsOfType(Template.fromStack(Stack.of(service)), 'AWS::DynamoDB::Table')).toHaveLength(1);
  });
});
