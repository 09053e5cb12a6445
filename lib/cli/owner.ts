import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import type { OwnerProcess, OwnerProcessState, ProcessProbe } from '../release';

/** Who drives a release from this process, as written into the release record (a lease id: host and pid). */
export function ownerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * Who makes a change, as the flags record and an AppConfig version's description name them: `BLUEGREEN_ACTOR` when
 * set (a pipeline's id, a person's name), else `<os user>@<host>` (`unknown@<host>` when the OS cannot say who).
 */
export function actorId(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const set = env.BLUEGREEN_ACTOR?.trim();
  if (set) return set;
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry for the uid (a container with an arbitrary uid): fall back to the environment.
    user = undefined;
  }
  user ||= env.USER || env.USERNAME || env.LOGNAME || 'unknown';
  return `${user}@${os.hostname()}`;
}

/**
 * Start times read twice for the same process may differ by a tick (Linux computes the boot time from the clock,
 * which NTP adjusts; `ps` shows whole seconds): starts closer than this are the same process. A pid is reused only
 * after the pid space wraps, never within seconds of the first process's start.
 */
const SAME_START_MS = 2_000;

let self: OwnerProcess | undefined;

/**
 * This process as the release record's lease records it: host, pid, start time, and on Linux the boot id and pid
 * namespace its pid belongs to (so that containers sharing a host name never judge each other's pids).
 */
export function ownerProcess(): OwnerProcess {
  if (!self) {
    const startedAt = startTimeOf(process.pid) ?? Math.round(Date.now() - process.uptime() * 1000);
    const pidNamespace = pidNamespaceOf('self');
    self = { host: os.hostname(), pid: process.pid, startedAt, ...(pidNamespace ? { pidNamespace } : {}) };
  }
  return self;
}

/**
 * Whether the process a release record names still runs: only for a process of this host (same host name and, when
 * both are known, the same pid namespace); `elsewhere` otherwise. A pid that runs a process started at another time
 * is `pid-reused`.
 */
export const processProbe: ProcessProbe = {
  check(holder: OwnerProcess): OwnerProcessState {
    const me = ownerProcess();
    if (holder.host !== me.host) return 'elsewhere';
    if (holder.pidNamespace !== undefined && me.pidNamespace !== undefined && holder.pidNamespace !== me.pidNamespace) return 'elsewhere';
    if (!pidExists(holder.pid)) return 'exited';
    const started = startTimeOf(holder.pid);
    if (started === undefined) return 'unknown';
    return Math.abs(started - holder.startedAt) <= SAME_START_MS ? 'running' : 'pid-reused';
  },
};

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user's process.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When `pid` started, epoch ms: from /proc on Linux, from `ps` elsewhere; undefined when neither tells. */
function startTimeOf(pid: number): number | undefined {
  return linuxStartTime(pid) ?? psStartTime(pid);
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot, 100 a second) after the boot time in /proc/stat. */
function linuxStartTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootTime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (!Number.isFinite(ticks) || !bootTime) return undefined;
    return Number(bootTime[1]) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

/** macOS and other Unixes: `ps -o lstart=` (whole seconds). */
function psStartTime(pid: number): number | undefined {
  if (process.platform === 'win32' || process.platform === 'linux') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const at = Date.parse(out.trim());
    return Number.isNaN(at) ? undefined : at;
  } catch {
    return undefined;
  }
}

/** Linux: `<boot id>/<pid namespace inode>`; undefined elsewhere. */
function pidNamespaceOf(pid: 'self'): string | undefined {
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const ns = /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/pid`))?.[1];
    return boot && ns ? `${boot}/${ns}` : undefined;
  } catch {
    return undefined;
  }
}
