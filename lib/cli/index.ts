export * from './io';
export * from './main';
export { EXIT_CODES, OutcomeKind } from './exit-codes';
