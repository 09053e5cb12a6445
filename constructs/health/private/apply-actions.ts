import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmActionsConfig } from '../alarm-actions';

/** Attach `config` to `alarm`. */
export function applyActions(alarm: cloudwatch.AlarmBase, config: AlarmActionsConfig): void {
  if (config.alarmActions.length > 0) alarm.addAlarmAction(...config.alarmActions);
  if (config.okActions.length > 0) alarm.addOkAction(...config.okActions);
}
