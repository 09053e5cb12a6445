export * from './fleet';
export * from './image';
export * from './health';
export * from './hooks';
export * from './release';
export * from './dr';
export * from './healing';
export * from './flags';
