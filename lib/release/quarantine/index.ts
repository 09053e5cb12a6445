export * from './ports';
export * from './controller';
