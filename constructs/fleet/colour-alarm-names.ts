/**
 * Names of a colour's alarms, as the service descriptor publishes them for the `bluegreen` CLI and the automatic
 * rollback. `ServiceAlarms` registers its own; register yours with `IColourFleet.registerAlarms` to gate on them.
 */
export interface ColourAlarmNames {
  /**
   * The gate: the alarm (usually composite) a release gates on and the automatic rollback listens to.
   *
   * @default - no gate: a release gates on any of the other alarms
   */
  readonly gate?: string;
  /**
   * Target 5xx error rate.
   *
   * @default - none
   */
  readonly errorRate?: string;
  /**
   * p99 target response time.
   *
   * @default - none
   */
  readonly latencyP99?: string;
  /**
   * Unhealthy hosts above zero.
   *
   * @default - none
   */
  readonly unhealthyHosts?: string;
  /**
   * Healthy hosts below the expected count.
   *
   * @default - none
   */
  readonly healthyHosts?: string;
  /**
   * Repeated health-driven replacements of the colour's instances (registered by `ColourAlarms` when the service
   * quarantines).
   *
   * @default - none
   */
  readonly flapping?: string;
}
