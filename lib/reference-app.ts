import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeReferenceFindings } from './reference-acknowledgments';
import { WebServiceStack } from './web-service-stack';

/** Options of the reference app. */
export interface ReferenceAppOptions {
  /**
   * The app to build into.
   *
   * @default - a new App, reading context from cdk.json
   */
  readonly app?: App;
  /**
   * Whether to apply the app's reasoned cdk-nag acknowledgments. Tests turn them off to prove the checks run.
   *
   * @default true
   */
  readonly acknowledge?: boolean;
}

/** Build the reference app: the `web` service in eu-west-1, checked by cdk-nag AwsSolutions. */
export function buildReferenceApp(options: ReferenceAppOptions = {}): { app: App; web: WebServiceStack } {
  const app = options.app ?? new App();
  const ctx = (key: string) => {
    const value = app.node.tryGetContext(key);
    if (value === undefined) throw new Error(`cdk.json: context '${key}' is missing; the reference app needs it to synthesize offline.`);
    return value;
  };
  const web = new WebServiceStack(app, 'BlueGreenWeb', {
    env: { region: ctx('bluegreen:web:region') },
    availabilityZones: ctx('bluegreen:web:availabilityZones'),
    testListenerCidrs: ctx('bluegreen:web:testListenerCidrs'),
    description: 'cdk-bluegreen reference service web',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.acknowledge ?? true) {
    acknowledgeReferenceFindings(web);
  }
  return { app, web };
}
