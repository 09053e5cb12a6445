export * from './healing';
export * from './quarantine';
