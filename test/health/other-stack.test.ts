import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AutoRollback, BlueGreenDashboard, IBlueGreenService, ServiceAlarms } from '../../constructs';
import { descriptorJson, serviceStack } from './service-fixture';

describe('monitoring in another stack (IBlueGreenService)', () => {
  it('puts alarms, dashboard and auto-rollback in their own stack and still names the gates in the service descriptor', () => {
    // GIVEN the service in one stack
    const { stack, service } = serviceStack();
    const monitoring = new Stack(stack.node.scope as never, 'Monitoring', { env: { region: 'eu-west-1' } });
    const asInterface: IBlueGreenService = service;
    // WHEN alarms, dashboard and rollback are declared in another stack
    const alarms = new ServiceAlarms(monitoring, 'Alarms', { service: asInterface });
    new BlueGreenDashboard(monitoring, 'Dashboard', { alarms });
    new AutoRollback(monitoring, 'AutoRollback', { service: asInterface, alarms });
    // THEN the monitoring stack has both gates and the rollback function
    const mon = Template.fromStack(monitoring);
    mon.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'web-blue-gate' });
    mon.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'web-green-gate' });
    mon.resourceCountIs('AWS::Lambda::Function', 1);
    // and the service's descriptor (in the service stack) names the gates the CLI and the rollback read
    const d = descriptorJson(Template.fromStack(stack));
    expect(d.colours.blue.alarms).toMatchObject({ gate: 'web-blue-gate' });
    expect(d.colours.green.alarms).toMatchObject({ gate: 'web-green-gate' });
  });
});
