import { Token } from 'aws-cdk-lib';
import { Colour } from '../fleet/colour';
import { propError } from '../private/validate';

/** Which alarm of a colour a name is for. */
export class ColourAlarmKind {
  /** Target 5xx error rate. */
  public static readonly ERROR_RATE = new ColourAlarmKind('error-rate');
  /** p99 target response time. */
  public static readonly LATENCY_P99 = new ColourAlarmKind('latency-p99');
  /** Unhealthy targets above zero. */
  public static readonly UNHEALTHY_HOSTS = new ColourAlarmKind('unhealthy-hosts');
  /** Healthy targets below the expected count. */
  public static readonly HEALTHY_HOSTS = new ColourAlarmKind('healthy-hosts');
  /** Repeated health-driven replacements of the colour's instances (with quarantine). */
  public static readonly FLAPPING = new ColourAlarmKind('flapping');
  /** The composite alarm a release gates on. */
  public static readonly GATE = new ColourAlarmKind('gate');

  private constructor(
    /** Suffix of the alarm name. */
    public readonly suffix: string,
  ) {}
}

// Short, because the ten to twelve names go into the descriptor, a standard SSM parameter limited to 4 KB.
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * How alarms are named. Names are explicit and deterministic so that people and scripts can find them, although
 * the `bluegreen` CLI reads them from the service descriptor.
 *
 * Colour alarms are `<prefix>-<colour>-<kind>` (e.g. `web-blue-error-rate`, `web-green-gate`); the load balancer
 * alarm is `<prefix>-alb-error-rate`.
 */
export class AlarmNaming {
  /** Prefix every name with the service name: `web-blue-gate`. */
  public static fromServiceName(): AlarmNaming {
    return new AlarmNaming(undefined);
  }

  /**
   * Prefix every name with `prefix`, e.g. `prod-web` when several stages share an account and Region.
   *
   * @param prefix letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64 characters
   */
  public static withPrefix(prefix: string): AlarmNaming {
    if (!Token.isUnresolved(prefix) && !PREFIX.test(prefix)) {
      throw propError('naming', prefix, 'prefix must be letters, digits, ".", "_" and "-", start with a letter or digit and be at most 64 characters.');
    }
    return new AlarmNaming(prefix);
  }

  private constructor(private readonly prefix: string | undefined) {}

  /** Name of a colour's alarm of `kind` in service `serviceName`. */
  public colourAlarmName(serviceName: string, colour: Colour, kind: ColourAlarmKind): string {
    return `${this.prefixFor(serviceName)}-${colour.name}-${kind.suffix}`;
  }

  /** Name of the load balancer's 5xx alarm of service `serviceName`. */
  public loadBalancerAlarmName(serviceName: string): string {
    return `${this.prefixFor(serviceName)}-alb-error-rate`;
  }

  private prefixFor(serviceName: string): string {
    return this.prefix ?? serviceName;
  }
}
