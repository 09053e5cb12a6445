export * from './ports';
export * from './types';
export * from './refusal';
export * from './list';
export * from './set';
export * from './kill';
export { FEATURE_FLAG_POLL_MS } from './wait';
export { liveDeployment, runningDeployment } from './live';
