import { AlarmStateChangeEvent } from '../../lib/lambda/auto-rollback/auto-rollback-decision';

/** Options of `alarmEvent`. */
export interface AlarmEventOptions {
  /** New state. Default `ALARM`. */
  readonly state?: string;
  /** Previous state. Default `OK`. */
  readonly previous?: string;
  /** Event time, ISO. Default now. */
  readonly time?: string;
  /** CloudWatch's reason. */
  readonly reason?: string;
  readonly region?: string;
  readonly account?: string;
}

/**
 * A CloudWatch Alarm State Change event for a composite alarm, shaped as EventBridge delivers it
 * (docs: CloudWatch User Guide, "Alarm events and EventBridge").
 */
export function alarmEvent(alarmName: string, options: AlarmEventOptions = {}): AlarmStateChangeEvent {
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const time = options.time ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const state = options.state ?? 'ALARM';
  const reason = options.reason ?? `arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName.replace(/-gate$/, '-error-rate')} transitioned to ALARM at ${time}`;
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time,
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason, timestamp: time.replace('Z', '.000+0000') },
      previousState: { value: options.previous ?? 'OK', reason: 'all member alarms OK', timestamp: time.replace('Z', '.000+0000') },
      configuration: { alarmRule: `ALARM("${alarmName.replace(/-gate$/, '-error-rate')}")`, actionsSuppressor: '', actionsSuppressorWaitPeriod: 0, actionsSuppressorExtensionPeriod: 0 },
    },
  } as AlarmStateChangeEvent;
}
