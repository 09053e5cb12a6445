import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { QuarantineNotifier } from '../../release/quarantine/ports';
import { AwsClients } from '../clients';

/** SNS subjects: at most 100 characters. */
export const SNS_SUBJECT_MAX = 100;

/** Quarantine notices on the service's SNS topic (one Publish call each). */
export class SnsQuarantineNotifier implements QuarantineNotifier {
  /** Notices to `topicArn`, through the shared SNS client. */
  public static fromClients(clients: AwsClients, topicArn: string): SnsQuarantineNotifier {
    return new SnsQuarantineNotifier(clients.get(SNSClient), topicArn);
  }

  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  /** One Publish call; the subject on one line, cut to SNS_SUBJECT_MAX characters. */
  public async notify(subject: string, message: string): Promise<void> {
    const line = subject.replace(/\s+/g, ' ').trim().slice(0, SNS_SUBJECT_MAX);
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: line, Message: message }));
  }
}
