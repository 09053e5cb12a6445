/**
 * A local moto server process on a free loopback port, with no test-runner dependency (the benchmark uses it too).
 * Tests use `useMotoServer` from ./moto-server.
 */
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';

/** Region every moto test uses. */
export const MOTO_REGION = 'eu-west-1';

/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';

/** Options of `startMotoServer`. */
export interface MotoServerOptions {
  /**
   * Python interpreter with moto[server] installed.
   *
   * @default - $MOTO_PYTHON, else `python3`
   */
  readonly python?: string;
  /**
   * How long to wait for the server to answer, ms.
   *
   * @default 20000
   */
  readonly startTimeoutMs?: number;
}

/** A running moto server. */
export interface MotoServer {
  /** The moto process, e.g. to freeze it with SIGSTOP. */
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The variables that point an SDK (in this process or a child) at the server. */
  readonly env: Readonly<Record<string, string>>;
  /** `process.env` with `env` applied: pass it to `spawn`/`execFile` of the CLI. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Forget every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stop the server. */
  stop(): Promise<void>;
}

/** The variables that point the SDK at `endpoint` with dummy credentials. */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Node 20 makes the SDK print a support warning on stderr, which would pollute CLI output assertions.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Start moto on a free loopback port and wait until it answers. Retries once on a port race. */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

async function launch(port: number, options: MotoServerOptions): Promise<MotoServer> {
  const python = options.python ?? process.env.MOTO_PYTHON ?? 'python3';
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitUntilUp(endpoint, child, options.startTimeoutMs ?? 20_000, () => stderr);
  } catch (e) {
    process.off('exit', killOnExit);
    await stopChild(child);
    throw e;
  }
  const env = motoEnv(endpoint);
  return {
    pid: child.pid ?? 0,
    port,
    endpoint,
    env,
    childEnv: (extra) => ({ ...withoutProfile(process.env), ...env, ...extra }),
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: async () => {
      process.off('exit', killOnExit);
      // A frozen server ignores SIGTERM until it runs again.
      child.kill('SIGCONT');
      await stopChild(child);
    },
  };
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto server exited (${child.exitCode ?? child.signalCode}) before answering: ${stderr().trim()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`moto server did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr().trim()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A port nothing listens on right now (the OS picks it; a race with another process is retried by the caller). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** A profile in the developer's environment would override the dummy credentials. */
function withoutProfile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.AWS_PROFILE;
  delete copy.AWS_DEFAULT_PROFILE;
  return copy;
}

/** Apply `env` to process.env and return what it replaced. */
export function applyEnv(env: Readonly<Record<string, string>>): Record<string, string | undefined> {
  const saved: Record<string, string | undefined> = {};
  for (const key of [...Object.keys(env), 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE']) saved[key] = process.env[key];
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_DEFAULT_PROFILE;
  Object.assign(process.env, env);
  return saved;
}

/** Put back what `applyEnv` replaced. */
export function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}
