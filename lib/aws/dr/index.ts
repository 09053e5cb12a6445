// The adapters of the DR state machine (lib/release/dr/ports.ts), for the CLI and the standby's watcher.
// Not ./route53-status-view: it loads Route 53's SDK client, which only `dr status` needs (createDrPorts imports it lazily).
export * from './dynamo-dr-record-copy';
export * from './aws-region-service';
export * from './lazy-region-service';
export * from './cloudwatch-dns-switch';
export * from './dns-resolve';
export * from './resolver-dns-answers';
export * from './http-endpoint-probe';
export * from './sns-dr-notifier';
export * from './create-dr-ports';
