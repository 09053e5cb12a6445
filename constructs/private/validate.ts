import { Duration, Token } from 'aws-cdk-lib';

/** An error for a prop with the value given and the fix. */
export function propError(prop: string, value: unknown, fix: string): Error {
  return new Error(`${prop}: ${fix} Got ${formatValue(value)}.`);
}

/** Throw unless `value` (when resolved) is an integer in [min, max]. */
export function checkIntRange(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw propError(prop, value, `must be a whole number from ${min} to ${max}.`);
  }
}

/** Throw unless `value` (when resolved) is between `min` and `max` seconds. */
export function checkSecondsRange(prop: string, value: Duration | undefined, min: number, max: number): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min || seconds > max) {
    throw propError(prop, value, `must be from ${min} to ${max} seconds.`);
  }
}

/** Whether all given numbers are resolved, so that relations between them can be checked. */
export function allResolved(...values: Array<number | Duration | undefined>): boolean {
  return values.every((v) => v === undefined || (v instanceof Duration ? !v.isUnresolved() : !Token.isUnresolved(v)));
}

function formatValue(value: unknown): string {
  if (value instanceof Duration) return `${value.toSeconds()} seconds`;
  return JSON.stringify(value);
}
