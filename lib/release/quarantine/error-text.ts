/** An error's message for outcomes and notifications (whatever was thrown). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
