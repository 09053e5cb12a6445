// The adapters of the quarantine controller (lib/release/quarantine/ports.ts), for the quarantine Lambda and the
// `bluegreen quarantine` commands. createQuarantinePorts loads all but the record's adapter lazily.
export * from './dynamo-quarantine-record-store';
export * from './auto-scaling-quarantine';
export * from './ec2-instance-quarantine';
export * from './s3-evidence-store';
export * from './sns-quarantine-notifier';
export * from './cloudwatch-replacement-gauge';
export * from './create-quarantine-ports';
