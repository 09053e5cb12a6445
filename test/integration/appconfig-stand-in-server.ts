/**
 * The AppConfig stand-in (./appconfig-stand-in) for a test file, beside its moto server.
 *
 * @example
 * const moto = useMotoServer();
 * const standIn = useAppConfigStandIn(moto); // after useMotoServer: its beforeAll runs second
 */
import { afterAll, beforeAll } from 'vitest';
import { AppConfigStandIn, AppConfigStandInOptions, startAppConfigStandIn } from './appconfig-stand-in';
import { applyEnv, MotoServer, restoreEnv } from './moto-process';

export * from './appconfig-stand-in';

/**
 * Start the stand-in in front of `moto()` for the calling test file: `beforeAll` starts it and points AppConfig's and
 * CloudWatch's clients at it (AWS_ENDPOINT_URL_APPCONFIG, AWS_ENDPOINT_URL_CLOUDWATCH in process.env); `afterAll`
 * stops it and restores process.env. Register it after `useMotoServer`.
 *
 * @returns a getter for the stand-in (valid inside tests and later hooks)
 */
export function useAppConfigStandIn(moto: () => MotoServer, options: Omit<AppConfigStandInOptions, 'motoEndpoint'> = {}): () => AppConfigStandIn {
  let standIn: AppConfigStandIn | undefined;
  let saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    standIn = await startAppConfigStandIn({ ...options, motoEndpoint: moto().endpoint });
    saved = applyEnv(standIn.env);
  });
  afterAll(async () => {
    restoreEnv(saved);
    await standIn?.stop();
  });
  return () => {
    if (!standIn) throw new Error('AppConfig stand-in not started: call the getter inside a test or a hook after beforeAll.');
    return standIn;
  };
}
