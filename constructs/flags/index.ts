export * from './feature-flag-file';
export * from './feature-flag-rollout';
export * from './feature-flags';
