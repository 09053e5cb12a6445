import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Colour } from '../fleet/colour';
import { propError } from '../private/validate';
import { ColourAlarms } from './colour-alarms';
import { ServiceAlarms } from './service-alarms';

/** Properties of a blue-vs-green dashboard. */
export interface BlueGreenDashboardProps {
  /** The alarms whose metrics and states the dashboard shows. */
  readonly alarms: ServiceAlarms;
  /**
   * Name of the dashboard: letters, digits, `-` and `_`, at most 255 characters.
   *
   * @default - `<serviceName>-blue-green`
   */
  readonly dashboardName?: string;
  /**
   * Time range shown when the dashboard opens.
   *
   * @default Duration.hours(3)
   */
  readonly defaultInterval?: Duration;
}

const DASHBOARD_NAME = /^[\w-]{1,255}$/;
const HALF = 12;
const FULL = 24;
const GRAPH_HEIGHT = 6;

/**
 * A CloudWatch dashboard with blue and green side by side (blue left, green right): requests, 5xx rate, p99
 * latency and hosts per colour, each graph drawing the same metric its alarm evaluates with the alarm's threshold;
 * the gates' states on top and the load balancer's own errors at the bottom.
 */
export class BlueGreenDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: BlueGreenDashboardProps) {
    super(scope, id);
    const { alarms } = props;
    const serviceName = alarms.service.serviceName;
    const dashboardName = props.dashboardName ?? `${serviceName}-blue-green`;
    if (!Token.isUnresolved(dashboardName) && !DASHBOARD_NAME.test(dashboardName)) {
      throw propError('dashboardName', dashboardName, 'must be 1 to 255 letters, digits, "-" or "_".');
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName,
      defaultInterval: props.defaultInterval ?? Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: `${serviceName} release gates`,
        alarms: [alarms.blue.gate, alarms.green.gate, alarms.loadBalancerErrorRate],
        width: FULL,
        height: 3,
      }),
    );
    for (const row of ROWS) {
      this.dashboard.addWidgets(...Colour.all().map((c) => graph(row, alarms.colour(c))));
    }
    this.dashboard.addWidgets(loadBalancerGraph(alarms));
  }
}

/** One row of the side-by-side section: the same graph for each colour. */
interface Row {
  readonly title: string;
  /** Metrics on the left axis; `main` is the line colour of the colour shown (blue or green). */
  readonly left: (a: ColourAlarms, main: string) => cloudwatch.IMetric[];
  readonly annotations: (a: ColourAlarms) => cloudwatch.HorizontalAnnotation[];
}

const ROWS: Row[] = [
  { title: 'Requests', left: (a, color) => [a.metrics.metricRequestCount(a.colour).with({ color })], annotations: () => [] },
  { title: '5xx rate (%)', left: (a, color) => [a.metrics.metricErrorRate(a.colour).with({ color })], annotations: (a) => [a.errorRate.toAnnotation()] },
  { title: 'p99 latency (s)', left: (a, color) => [a.metrics.metricLatencyP99(a.colour).with({ color })], annotations: (a) => [a.latencyP99.toAnnotation()] },
  {
    title: 'Hosts',
    left: (a, color) => [
      a.metrics.metricHealthyHosts(a.colour).with({ color }),
      a.metrics.metricExpectedHosts(a.colour).with({ color: cloudwatch.Color.GREY }),
      a.metrics.metricUnhealthyHosts(a.colour).with({ color: cloudwatch.Color.RED }),
    ],
    annotations: () => [],
  },
];

function graph(row: Row, alarms: ColourAlarms): cloudwatch.GraphWidget {
  const colour = alarms.colour;
  return new cloudwatch.GraphWidget({
    title: `${colour.name}: ${row.title}`,
    left: row.left(alarms, colour === Colour.BLUE ? cloudwatch.Color.BLUE : cloudwatch.Color.GREEN),
    leftAnnotations: row.annotations(alarms),
    leftYAxis: { min: 0 },
    width: HALF,
    height: GRAPH_HEIGHT,
  });
}

function loadBalancerGraph(alarms: ServiceAlarms): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title: 'Load balancer: requests and own 5xx rate (%)',
    left: [alarms.metrics.metricLoadBalancerRequestCount()],
    right: [alarms.metrics.metricLoadBalancerErrorRate().with({ color: cloudwatch.Color.RED })],
    rightAnnotations: [alarms.loadBalancerErrorRate.toAnnotation()],
    leftYAxis: { min: 0 },
    rightYAxis: { min: 0 },
    width: FULL,
    height: GRAPH_HEIGHT,
  });
}
