import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { COLOUR_NAMES, ColourName, HEALING_METRIC } from '../../contract';
import { ReplacementGauge } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';

/**
 * The flapping gauge: `cdk-bluegreen/RecentUnhealthyReplacements{Service, Colour}`, the health-driven replacements of
 * each colour within the flapping window. Each colour's `Flapping` alarm watches its Maximum.
 */
export class CloudWatchReplacementGauge implements ReplacementGauge {
  /** The gauge of `service`, through the shared CloudWatch client. */
  public static fromClients(clients: AwsClients, service: string): CloudWatchReplacementGauge {
    return new CloudWatchReplacementGauge(clients.get(CloudWatchClient), service);
  }

  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly service: string,
  ) {}

  /** One PutMetricData call: a datapoint per colour, now. */
  public async publish(counts: Readonly<Record<ColourName, number>>): Promise<void> {
    const Timestamp = new Date();
    await this.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: HEALING_METRIC.NAMESPACE,
        MetricData: COLOUR_NAMES.map((colour) => ({
          MetricName: HEALING_METRIC.RECENT_REPLACEMENTS,
          Dimensions: [
            { Name: HEALING_METRIC.SERVICE_DIMENSION, Value: this.service },
            { Name: HEALING_METRIC.COLOUR_DIMENSION, Value: colour },
          ],
          Value: counts[colour] ?? 0,
          Unit: 'Count',
          Timestamp,
        })),
      }),
    );
  }
}
