// The bottom layer: names, schemas and rules that construct code, the engine, the adapters, the Lambda handlers
// and the CLI all share. Pure TypeScript: it imports nothing but itself.
export * from './colours';
export * from './descriptor';
export * from './image-tags';
export * from './patterns';
export * from './release-manifest';
export * from './auto-rollback';
export * from './disaster-recovery';
export * from './quarantine';
export * from './release-hooks';
export * from './feature-flags';
