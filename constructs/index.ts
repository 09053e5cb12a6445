export * from './fleet';
export * from './image';
