import { spawn } from 'child_process';
import { HOOK_COMMAND_ENV, HOOK_COMMAND_INCONCLUSIVE_EXIT, HookEvent } from '../../contract';
import { HookAttemptResult, HookRunner, ReleaseHook } from '../../release/ports';
import { seconds } from './attempt';

/** Time a command has to exit after SIGTERM at its timeout, before its process group gets SIGKILL. */
export const COMMAND_KILL_GRACE_MS = 2_000;

/** One line a command hook wrote. */
export interface HookOutputLine {
  /** The hook's name (`cmd-pre-release`...). */
  readonly hook: string;
  readonly stream: 'stdout' | 'stderr';
  /** Without its line break. */
  readonly line: string;
}

/** Options of `CommandHookRunner`. */
export interface CommandHookRunnerOptions {
  /**
   * Told each line a command writes, as it writes it (the CLI shows progress).
   *
   * @default - the output is not shown (it never goes into the detail)
   */
  readonly onOutput?: (line: HookOutputLine) => void;
  /**
   * Environment the hook's variables are added to.
   *
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Working directory of the commands.
   *
   * @default - the process's
   */
  readonly cwd?: string;
  /**
   * Time between SIGTERM and SIGKILL at a timeout.
   *
   * @default COMMAND_KILL_GRACE_MS
   */
  readonly killGraceMs?: number;
}

/** The variables a command hook gets (HOOK_COMMAND_ENV); those of fields the event lacks are absent. */
export function hookCommandEnv(event: HookEvent): Record<string, string> {
  const E = HOOK_COMMAND_ENV;
  const env: Record<string, string> = {
    [E.SERVICE]: event.service,
    [E.RELEASE_ID]: event.releaseId,
    [E.POINT]: event.point,
    [E.HOOK]: event.hook,
    [E.IDEMPOTENCY_KEY]: event.idempotencyKey,
    [E.ATTEMPT]: String(event.attempt),
    [E.STEPS]: String(event.steps),
    [E.WEIGHT_BLUE]: String(event.weights.blue),
    [E.WEIGHT_GREEN]: String(event.weights.green),
    [E.STABLE]: event.colours.stable,
    [E.CANDIDATE]: event.colours.candidate,
    [E.CONTRACT]: String(event.contract),
    [E.EVENT]: JSON.stringify(event),
  };
  if (event.step !== undefined) env[E.STEP] = String(event.step);
  if (event.images.stable !== undefined) env[E.STABLE_IMAGE] = event.images.stable;
  if (event.images.candidate !== undefined) env[E.CANDIDATE_IMAGE] = event.images.candidate;
  return env;
}

/** Process groups of commands still running, killed if this process exits first (a hook never outlives its driver). */
const runningGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of runningGroups) killGroup(group, 'SIGTERM');
    });
  }
  runningGroups.add(pid);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs command hooks, given to the CLI by flags (never read from AWS): `sh -c <command>` in a process group of its
 * own, with the hook's fields as environment variables (HOOK_COMMAND_ENV; `BLUEGREEN_EVENT` holds the JSON event).
 *
 * Exit 0: passed; exit HOOK_COMMAND_INCONCLUSIVE_EXIT (3): inconclusive; any other exit or a signal: failed. At its
 * timeout the process group gets SIGTERM, then SIGKILL after `killGraceMs`, and the attempt fails. The detail is the
 * exit (or the timeout) only: output goes to `onOutput`.
 *
 * If this process exits while a command runs, the command's process group gets SIGTERM: a `resume` runs the hook
 * again, and two copies of a migration must not run at once.
 */
export class CommandHookRunner implements HookRunner {
  private readonly commands: ReadonlyMap<string, string>;

  /**
   * @param commands the shell command of each command hook, by hook name
   */
  constructor(
    commands: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
    private readonly options: CommandHookRunnerOptions = {},
  ) {
    this.commands = commands instanceof Map ? commands : new Map(Object.entries(commands));
  }

  public run(hook: ReleaseHook, event: HookEvent, timeoutMs: number): Promise<HookAttemptResult> {
    const command = this.commands.get(hook.name);
    if (command === undefined) return Promise.reject(new Error(`Command hook ${hook.name} has no command: pass it to this command (--${flagOf(hook.name)}).`));
    const base = { ...(this.options.env ?? process.env) };
    // A variable inherited from an outer hook must not pass for this event's (a step-less event has no STEP).
    for (const name of Object.values(HOOK_COMMAND_ENV)) delete base[name];
    const env = { ...base, ...hookCommandEnv(event) };
    const graceMs = this.options.killGraceMs ?? COMMAND_KILL_GRACE_MS;
    const onOutput = this.options.onOutput;

    return new Promise<HookAttemptResult>((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { env, cwd: this.options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid === undefined) return;
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), graceMs);
      }, timeoutMs);
      if (child.pid !== undefined) trackGroup(child.pid);

      // Output goes to the operator's terminal only, never into the detail: the detail is written to the release
      // record, which status readers can read, and migration tools print connection strings.
      const keep = (stream: 'stdout' | 'stderr', line: string) => {
        if (onOutput) {
          try {
            onOutput({ hook: hook.name, stream, line });
          } catch {
            // A display's failure must not fail the hook.
          }
        }
      };
      for (const stream of ['stdout', 'stderr'] as const) {
        let partial = '';
        const pipe = child[stream];
        pipe.setEncoding('utf8');
        pipe.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) keep(stream, line.replace(/\r$/, ''));
        });
        pipe.on('end', () => {
          if (partial !== '') keep(stream, partial);
          partial = '';
        });
      }

      const finish = () => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        if (child.pid !== undefined) runningGroups.delete(child.pid);
      };
      child.on('error', (e) => {
        finish();
        reject(new Error(`Command hook ${hook.name} could not start sh: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        finish();
        if (timedOut) {
          resolve({ verdict: 'failed', detail: `timed out after ${seconds(timeoutMs)}: its process group was killed` });
        } else if (code === 0) {
          resolve({ verdict: 'passed', detail: 'exit 0' });
        } else if (code === HOOK_COMMAND_INCONCLUSIVE_EXIT) {
          resolve({ verdict: 'inconclusive', detail: `exit ${code} (inconclusive)` });
        } else {
          resolve({ verdict: 'failed', detail: `${code === null ? `killed by ${signal}` : `exit ${code}`}` });
        }
      });
    });
  }
}

/** The CLI flag of a command hook: `cmd-pre-release` -> `pre-release-cmd`. */
export function flagOf(hookName: string): string {
  return `${hookName.replace(/^cmd-/, '')}-cmd`;
}
