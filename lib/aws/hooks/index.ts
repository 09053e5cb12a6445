export * from './attempt';
export * from './lambda-hook-runner';
export * from './webhook-hook-runner';
export * from './command-hook-runner';
export * from './kind-hook-runner';
export * from './release-hooks-from-descriptor';
