export * from './app-config-agent-options';
export * from './baked-image';
export * from './distribution-region';
export * from './image-architecture';
export * from './image-component';
export * from './image-source';
export * from './parent-image';
