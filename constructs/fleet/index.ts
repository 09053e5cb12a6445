export * from './blue-green-service';
export * from './capacity-mode';
export * from './colour';
export * from './colour-alarm-names';
export * from './colour-fleet';
export * from './health-check';
export * from './release-guard';
export * from './release-manifest';
