export * from './alarm-actions';
export * from './alarm-naming';
export * from './alarm-thresholds';
export * from './blue-green-dashboard';
export * from './colour-alarms';
export * from './service-alarms';
export * from './service-health-metrics';
