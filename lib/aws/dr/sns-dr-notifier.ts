import { createRequire } from 'node:module';
import { AwsClients, SdkClient, SdkClientClass } from '../clients';

/** Where a DR notice goes (one line for people: a failover, a latch, a failure). */
export interface DrNotifier {
  notify(subject: string, message: string): Promise<void>;
}

/** The SNS client, as much of `@aws-sdk/client-sns` as is used here. */
export interface SnsClient extends SdkClient {
  send(command: object): Promise<unknown>;
}

/** The part of `@aws-sdk/client-sns` used here. */
export interface SnsModule {
  readonly SNSClient: SdkClientClass<SnsClient>;
  readonly PublishCommand: new (input: { readonly TopicArn: string; readonly Subject: string; readonly Message: string }) => object;
}

/**
 * The SNS package, loaded at run time from the Lambda runtime's AWS SDK. It is not a dependency of this package
 * (yet): adding `@aws-sdk/client-sns` to devDependencies would let this become a plain import. A require made
 * through `createRequire` is left alone by esbuild (the bundle stays free of it) and resolves through NODE_PATH,
 * where the Lambda runtime keeps the SDK.
 */
export function loadSnsModule(): SnsModule {
  return createRequire(__filename)('@aws-sdk/client-sns') as SnsModule;
}

/** Publishes DR notices to the service's SNS topic (one Publish call each), through the Region's shared clients. */
export class SnsDrNotifier implements DrNotifier {
  constructor(
    private readonly topicArn: string,
    private readonly clients: AwsClients,
    private readonly load: () => SnsModule = loadSnsModule,
  ) {}

  public async notify(subject: string, message: string): Promise<void> {
    const sns = this.load();
    // SNS subjects: at most 100 characters, no line breaks.
    const line = subject.replace(/\s+/g, ' ').slice(0, 100);
    await this.clients.get(sns.SNSClient).send(new sns.PublishCommand({ TopicArn: this.topicArn, Subject: line, Message: message }));
  }
}
