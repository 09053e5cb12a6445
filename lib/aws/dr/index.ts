// The adapters of the DR state machine (lib/release/dr/ports.ts), for the CLI and the standby's watcher.
export * from './dynamo-dr-record-copy';
export * from './aws-region-service';
export * from './lazy-region-service';
export * from './cloudwatch-dns-switch';
export * from './dns-resolve';
export * from './resolver-dns-answers';
export * from './http-endpoint-probe';
export * from './sns-dr-notifier';
export * from './create-dr-ports';
