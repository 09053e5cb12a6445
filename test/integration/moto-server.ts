/**
 * A local moto server for integration tests: one per test file, on a free loopback port.
 *
 * @example
 * const moto = useMotoServer(); // registers beforeAll/afterAll, sets process.env
 * it('...', async () => { const clients = createAwsClients(); ... spawn(cli, { env: moto().childEnv() }) });
 */
import { afterAll, beforeAll } from 'vitest';
import { applyEnv, MotoServer, MotoServerOptions, restoreEnv, startMotoServer } from './moto-process';

export * from './moto-process';

/**
 * Start a server for the calling test file: `beforeAll` starts it and applies its env to `process.env`,
 * `afterAll` stops it and restores `process.env`.
 *
 * @returns a getter for the server (valid inside tests and later hooks)
 */
export function useMotoServer(options: MotoServerOptions = {}): () => MotoServer {
  let server: MotoServer | undefined;
  let saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    server = await startMotoServer(options);
    saved = applyEnv(server.env);
  });
  afterAll(async () => {
    restoreEnv(saved);
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('moto server not started: call the getter inside a test or a hook after beforeAll.');
    return server;
  };
}

