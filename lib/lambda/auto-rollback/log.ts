/** The auto-rollback function's log: one JSON object per line, so CloudWatch Logs Insights can query every field. */

/** One JSON log line. */
export interface LogLine {
  readonly level: 'info' | 'error';
  /** `decision`, `engine` (an event of the release engine) or `outcome`. */
  readonly kind: string;
  readonly service: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** Writes one line of `kind` with extra fields. */
export type Log = (level: LogLine['level'], kind: string, message: string, fields?: Record<string, unknown>) => void;

/**
 * A log for one invocation: every line names the service, what triggered the invocation and, when known, the
 * Lambda request.
 *
 * @param write where lines go; default one JSON line each on stdout
 */
export function createLog(service: string, trigger: 'alarm' | 'reconcile', requestId?: string, write?: (line: LogLine) => void): Log {
  const out = write ?? ((line: LogLine) => process.stdout.write(`${JSON.stringify(line)}\n`));
  return (level, kind, message, fields = {}) => out({ level, kind, service, message, trigger, ...(requestId ? { requestId } : {}), ...fields });
}
