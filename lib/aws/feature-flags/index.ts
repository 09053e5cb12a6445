// The adapters of the flag engine (lib/release/feature-flags/ports.ts), for the `bluegreen flags` commands.
// createFeatureFlagPorts loads AppConfig's and CloudWatch's adapters lazily.
export * from './appconfig-feature-flag-config';
export * from './cloudwatch-feature-flag-monitor';
export * from './dynamo-feature-flag-record-store';
export * from './create-feature-flag-ports';
