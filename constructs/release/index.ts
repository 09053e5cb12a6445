export * from './auto-rollback';
