import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AwsClients } from '../clients';

/** Where a DR notice goes (one line for people: a failover, a latch, a failure). */
export interface DrNotifier {
  notify(subject: string, message: string): Promise<void>;
}

/** Publishes DR notices to the service's SNS topic (one Publish call each), through the Region's shared clients. */
export class SnsDrNotifier implements DrNotifier {
  constructor(
    private readonly topicArn: string,
    private readonly clients: AwsClients,
  ) {}

  public async notify(subject: string, message: string): Promise<void> {
    // SNS subjects: at most 100 characters, no line breaks.
    const line = subject.replace(/\s+/g, ' ').slice(0, 100);
    await this.clients.get(SNSClient).send(new PublishCommand({ TopicArn: this.topicArn, Subject: line, Message: message }));
  }
}
