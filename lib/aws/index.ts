// Everything in lib/aws, for tests and the Lambda handlers. The CLI imports the modules it needs one by one (and
// their adapters with `await import()`), so that a command loads only the SDK clients it calls.
// Not here: ./hooks (the release hook runners), imported from there (or from ./hooks/release-hooks-from-descriptor,
// which loads the Lambda client only when a Lambda hook runs), so that the Lambda bundles that import this file do
// not load the Lambda client.
export * from './api-call-counter';
export * from './clients';
export * from './region';
export * from './unknown-service-error';
export * from './descriptor';
export * from './elb-traffic-router';
export * from './elb-target-health';
export * from './cloudwatch-alarm-gate';
export * from './auto-scaling-fleet-capacity';
export * from './dynamo-release-state-store';
export * from './system-clock';
export * from './create-aws-ports';
export * from './ami-retention';
export * from './ami-exists';
export * from './image-exists';
export * from './aws-faults';
export * from './deployed-images';
