import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BlueGreenDashboard, ServiceAlarms } from '../../constructs/health';
import { alarmNamed, serviceStack } from './service-fixture';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  properties: { title: string; alarms?: string[]; metrics?: unknown[][]; annotations?: { horizontal?: Array<{ value: number }> } };
}

/** The dashboard body with each CloudFormation reference replaced by `<logicalId>`. */
function dashboardBody(template: Template): { start: string; widgets: Widget[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = p as { 'Fn::GetAtt'?: string[]; Ref?: string };
      return `<${ref['Fn::GetAtt']?.[0] ?? ref.Ref ?? 'token'}>`;
    })
    .join('');
  return JSON.parse(text);
}

function build(props: { dashboardName?: string } = {}) {
  const { stack, service } = serviceStack();
  const alarms = new ServiceAlarms(stack, 'Alarms', { service });
  const dashboard = new BlueGreenDashboard(stack, 'Dashboard', { alarms, ...props });
  return { stack, alarms, dashboard, template: Template.fromStack(stack) };
}

describe('BlueGreenDashboard', () => {
  it('shows the gates\' states on top', () => {
    // GIVEN / WHEN
    const { template } = build();
    // THEN
    const [status] = dashboardBody(template).widgets;
    expect(status).toMatchObject({ type: 'alarm', x: 0, y: 0, width: 24, properties: { title: 'web release gates' } });
    expect(status.properties.alarms).toEqual([
      `<${alarmNamed(template, 'web-blue-gate').logicalId}>`,
      `<${alarmNamed(template, 'web-green-gate').logicalId}>`,
      `<${alarmNamed(template, 'web-alb-error-rate').logicalId}>`,
    ]);
  });

  it('puts blue and green side by side, row by row, from the metrics the alarms evaluate', () => {
    // GIVEN / WHEN
    const { template } = build();
    // THEN
    const graphs = dashboardBody(template).widgets.filter((w) => w.type === 'metric' && /^(blue|green):/.test(w.properties.title));
    const titles = graphs.map((w) => w.properties.title);
    expect(titles).toEqual(
      ['Requests', '5xx rate (%)', 'p99 latency (s)', 'Hosts'].flatMap((row) => [`blue: ${row}`, `green: ${row}`]),
    );
    for (let i = 0; i < graphs.length; i += 2) {
      expect([graphs[i].x, graphs[i + 1].x, graphs[i].width, graphs[i + 1].width]).toEqual([0, 12, 12, 12]);
      expect(graphs[i].y).toBe(graphs[i + 1].y);
      expect(JSON.stringify(graphs[i].properties.metrics)).toContain('<WebBlueTargetGroup');
      expect(JSON.stringify(graphs[i + 1].properties.metrics)).toContain('<WebGreenTargetGroup');
      expect(JSON.stringify(graphs[i + 1].properties.metrics)).not.toContain('<WebBlueTargetGroup');
    }
    const errorRate = graphs.find((w) => w.properties.title === 'green: 5xx rate (%)');
    expect(JSON.stringify(errorRate?.properties.metrics)).toContain('IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)');
    expect(errorRate?.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 5 })]);
    const hosts = graphs.find((w) => w.properties.title === 'blue: Hosts');
    expect(JSON.stringify(hosts?.properties.metrics)).toMatch(/HealthyHostCount.*GroupDesiredCapacity.*UnHealthyHostCount/);
  });

  it('graphs the load balancer\'s own errors with the alarm threshold', () => {
    // GIVEN / WHEN
    const { template } = build();
    // THEN
    const widgets = dashboardBody(template).widgets;
    const alb = widgets[widgets.length - 1];
    expect(alb).toMatchObject({ type: 'metric', width: 24, properties: { title: 'Load balancer: requests and own 5xx rate (%)' } });
    expect(JSON.stringify(alb.properties.metrics)).toContain('HTTPCode_ELB_5XX_Count');
  });

  it('is named after the service unless told otherwise', () => {
    // GIVEN / WHEN
    const named = build({ dashboardName: 'web-prod' });
    // THEN
    build().template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'web-blue-green' });
    named.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'web-prod' });
    expect(dashboardBody(named.template).start).toBe('-PT3H');
  });

  it('opens on the requested interval', () => {
    // GIVEN
    const { stack, service } = serviceStack();
    const alarms = new ServiceAlarms(stack, 'Alarms', { service });
    // WHEN
    new BlueGreenDashboard(stack, 'Dashboard', { alarms, defaultInterval: Duration.hours(12) });
    // THEN
    expect(dashboardBody(Template.fromStack(stack)).start).toBe('-PT12H');
  });

  it('rejects a dashboard name CloudWatch cannot take', () => {
    expect(() => build({ dashboardName: 'web prod' })).toThrow(/^dashboardName: must be 1 to 255 letters, digits, "-" or "_"\. Got "web prod"\.$/);
  });
});
