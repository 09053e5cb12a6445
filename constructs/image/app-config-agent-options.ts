import { Duration } from 'aws-cdk-lib';

/**
 * A configuration the AWS AppConfig Agent fetches as soon as it starts (`PREFETCH_LIST`), so the application's first
 * read is served from the agent's cache instead of waiting for AppConfig.
 *
 * Names or ids both work: the agent passes them to `StartConfigurationSession`, which accepts either.
 */
export interface AppConfigAgentPrefetch {
  /** AppConfig application name or id, e.g. `bluegreen-web`. */
  readonly application: string;
  /** AppConfig environment name or id, e.g. `live`. */
  readonly environment: string;
  /** AppConfig configuration profile name or id, e.g. `feature-flags`. */
  readonly configurationProfile: string;
}

/**
 * Settings of the AWS AppConfig Agent that `ImageComponent.appConfigAgent` bakes into the image, written to
 * `/etc/sysconfig/aws-appconfig-agent`.
 *
 * They are part of the component's content, so changing one bakes a new image version; they must therefore be known
 * at synth (tokens are rejected).
 *
 * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-ec2.html
 */
export interface AppConfigAgentOptions {
  /**
   * How often the agent polls AppConfig for a new deployment (`POLL_INTERVAL`), in whole seconds from 15 seconds
   * (the shortest poll interval AppConfig's data plane accepts) to 24 hours.
   *
   * A flag change (or a kill) reaches an instance at most this long after AppConfig's deployment finishes.
   *
   * @default - the agent's default, 45 seconds
   */
  readonly pollInterval?: Duration;
  /**
   * Configurations fetched as soon as the agent starts (`PREFETCH_LIST`).
   *
   * @default - none: the agent fetches a configuration on its first request, which is then slower
   */
  readonly prefetch?: AppConfigAgentPrefetch[];
  /**
   * Port of the agent's HTTP server on localhost (`HTTP_PORT`).
   *
   * @default 2772
   */
  readonly port?: number;
}
