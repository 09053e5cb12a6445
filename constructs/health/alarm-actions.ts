import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IBlueGreenService } from '../fleet/blue-green-service';

/** The actions of a notifying alarm. */
export interface AlarmActionsConfig {
  /** Run when the alarm goes to ALARM. */
  readonly alarmActions: cloudwatch.IAlarmAction[];
  /** Run when the alarm returns to OK. */
  readonly okActions: cloudwatch.IAlarmAction[];
}

/** Options of custom alarm actions. */
export interface CustomAlarmActionsOptions {
  /** Run when an alarm goes to ALARM. */
  readonly onAlarm: cloudwatch.IAlarmAction[];
  /**
   * Run when an alarm returns to OK.
   *
   * @default - the same actions as `onAlarm`
   */
  readonly onOk?: cloudwatch.IAlarmAction[];
}

/**
 * What notifying alarms do. Kept apart from thresholds and naming so that a team can route alarms to its own
 * topic or pager without touching when they fire.
 *
 * @example
 * new ServiceAlarms(this, 'Alarms', { service, actions: AlarmActions.toTopic(pagerTopic) });
 */
export abstract class AlarmActions {
  /** Publish ALARM and OK to the service's own topic (`IBlueGreenService.topic`). */
  public static serviceTopic(): AlarmActions {
    return new BoundActions((service) => topicActions(service.topic));
  }

  /** Publish ALARM and OK to `topic`. An encrypted topic's key must let CloudWatch use it. */
  public static toTopic(topic: sns.ITopic): AlarmActions {
    return new BoundActions(() => topicActions(topic));
  }

  /** Run the given actions (Lambda, SSM incident, Auto Scaling...). */
  public static custom(options: CustomAlarmActionsOptions): AlarmActions {
    return new BoundActions(() => ({ alarmActions: options.onAlarm, okActions: options.onOk ?? options.onAlarm }));
  }

  /** No actions: the alarms only gate releases and show on the dashboard. */
  public static none(): AlarmActions {
    return new BoundActions(() => ({ alarmActions: [], okActions: [] }));
  }

  /** The actions for `service`'s alarms. */
  public abstract bind(service: IBlueGreenService): AlarmActionsConfig;
}

class BoundActions extends AlarmActions {
  constructor(private readonly produce: (service: IBlueGreenService) => AlarmActionsConfig) {
    super();
  }

  public bind(service: IBlueGreenService): AlarmActionsConfig {
    return this.produce(service);
  }
}

function topicActions(topic: sns.ITopic): AlarmActionsConfig {
  const action = new cw_actions.SnsAction(topic);
  return { alarmActions: [action], okActions: [action] };
}
