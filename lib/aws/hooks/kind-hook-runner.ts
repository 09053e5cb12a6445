import { HookEvent } from '../../contract';
import { HookAttemptResult, HookRunner, ReleaseHook } from '../../release/ports';

/** A runner for each kind of hook there is. */
export interface HookRunnersByKind {
  readonly lambda?: HookRunner;
  readonly webhook?: HookRunner;
  readonly command?: HookRunner;
}

/** Runs each hook with the runner of its kind (`hook.kind`). */
export class KindHookRunner implements HookRunner {
  constructor(private readonly runners: HookRunnersByKind) {}

  public run(hook: ReleaseHook, event: HookEvent, timeoutMs: number): Promise<HookAttemptResult> {
    const runner = this.runners[hook.kind];
    if (!runner) return Promise.reject(new Error(`Hook ${hook.name} is of kind ${hook.kind}, which this process cannot run.`));
    return runner.run(hook, event, timeoutMs);
  }
}
