/**
 * The watcher's SNS notices. `@aws-sdk/client-sns` is not a dependency of this package (the Lambda runtime has it),
 * so a fake SNS module stands in for it: what is checked is the Publish input and that the client goes through the
 * shared, counted clients.
 */
import { describe, expect, it } from 'vitest';
import { createAwsClients, SharedClientConfig } from '../../lib/aws';
import { SnsClient, SnsDrNotifier, SnsModule } from '../../lib/aws/dr';

function fakeSns(sent: object[]): SnsModule {
  class SNSClient implements SnsClient {
    public readonly config: SnsClient['config'];
    public readonly middlewareStack = { add: () => undefined, addRelativeTo: () => undefined };
    constructor(shared: SharedClientConfig) {
      this.config = { serviceId: 'SNS', region: async () => shared.region ?? '' };
    }
    public async send(command: object): Promise<unknown> {
      sent.push(command);
      return {};
    }
    public destroy(): void {}
  }
  class PublishCommand {
    constructor(public readonly input: object) {}
  }
  return { SNSClient, PublishCommand };
}

describe('SnsDrNotifier', () => {
  it('publishes one notice to the topic, with a one-line subject of at most 100 characters', async () => {
    // GIVEN a notifier on the standby's clients
    const sent: object[] = [];
    const clients = createAwsClients({ region: 'eu-central-1' });
    const notifier = new SnsDrNotifier('arn:aws:sns:eu-central-1:123456789012:web', clients, () => fakeSns(sent));
    // WHEN a notice with a long, multi-line subject is sent
    await notifier.notify(`web: failover\n${'x'.repeat(200)}`, 'bluegreen DR: web failed over');
    // THEN one Publish with the subject flattened and cut, through the shared clients
    expect(sent).toEqual([{ input: { TopicArn: 'arn:aws:sns:eu-central-1:123456789012:web', Subject: `web: failover ${'x'.repeat(86)}`, Message: 'bluegreen DR: web failed over' } }]);
    expect(clients.created()).toEqual(['sns']);
  });
});
