export * from './hook-point';
export * from './release-hook';
