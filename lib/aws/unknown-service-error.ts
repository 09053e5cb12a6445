/**
 * No descriptor parameter for the service in this region: it was never deployed here, or the name is wrong.
 *
 * In a module of its own, without the SSM client, so that the CLI can tell it apart from other errors without
 * loading an SDK.
 */
export class UnknownServiceError extends Error {
  constructor(
    /** The service asked for. */
    public readonly service: string,
    /** The SSM parameter looked up. */
    public readonly parameterName: string,
    /** Region looked in. */
    public readonly region: string,
  ) {
    super(
      `Unknown service '${service}': no SSM parameter ${parameterName} in ${region}. ` +
        'Deploy the service first (cdk deploy) or check --region.',
    );
    this.name = 'UnknownServiceError';
  }
}
