export * from './failover-switch';
export * from './region-role';
export * from './regional-failover';
export * from './standby-mode';
