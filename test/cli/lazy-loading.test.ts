/**
 * Each command loads only the AWS SDK clients it calls: help, --version and bad input none, a rollback SSM, ELBv2
 * and DynamoDB only (EC2's client alone is 1.2 MB, and process start is what a rollback waits for). Seen two ways:
 * the clients the CLI created, in-process; and the client packages a fresh CLI process loaded.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../lib/aws';
import { createServiceFixture, FIXTURE_AMI } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { removeWorkspaces, runMain, TSX_ARGS, workspace } from './harness';

const server = useMotoServer();
afterAll(removeWorkspaces);

beforeAll(async () => {
  await createServiceFixture({ service: 'lazy-warmup' });
});

/** Run the CLI in-process with fresh clients; the services of the clients it created. */
async function clientsCreatedBy(argv: string[], cwd = '/nonexistent'): Promise<{ code: number; created: string[] }> {
  const clients = createAwsClients();
  const { code } = await runMain(argv, cwd, clients);
  return { code, created: clients.created().sort() };
}

/** Run the CLI from source in a fresh process; the SDK client packages it loaded. */
async function clientPackagesLoadedBy(argv: string[], cwd: string): Promise<{ code: number; clients: string[] }> {
  const probe = path.join(__dirname, 'loaded-sdk-clients.ts');
  const { stdout } = await promisify(execFile)(process.execPath, [...TSX_ARGS, probe, ...argv], { cwd, env: server().childEnv() });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { code: number; clients: string[] };
}

describe('AWS SDK clients a command loads', () => {
  it.each([
    [['--help']],
    [['release', '--help']],
    [['dr', '--help']],
    [['dr', 'status', 'web', '--help']],
    [['quarantine', '--help']],
    [['--version']],
    [['release', 'web', '--steps', '10,50']],
    [['quarantine', 'extend', 'web', 'i-0123456789abcdef0', '--for', '3w']],
    [['deploy', 'web']],
  ])(
    '%j creates no client',
    async (argv) => {
      expect((await clientsCreatedBy(argv)).created).toEqual([]);
    },
  );

  it('rollback creates only the SSM, ELBv2 and DynamoDB clients; status and stage create the ones they call', async () => {
    // GIVEN green released
    const f = await createServiceFixture({ service: 'lazy-rollback' });
    const ws = workspace(f.service);
    expect((await runMain(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir, createAwsClients())).code).toBe(0);

    // WHEN
    const rollback = await clientsCreatedBy(['rollback', f.service], ws.dir);
    const status = await clientsCreatedBy(['status', f.service], ws.dir);
    const stage = await clientsCreatedBy(['stage', f.service, '--image', FIXTURE_AMI, '--dry-run'], ws.dir);

    // THEN
    expect(rollback).toEqual({ code: 0, created: ['dynamodb', 'elbv2', 'ssm'] });
    expect(status).toEqual({ code: 0, created: ['autoscaling', 'cloudwatch', 'dynamodb', 'elbv2', 'ssm'] });
    expect(stage).toEqual({ code: 0, created: ['dynamodb', 'ec2', 'elbv2', 'ssm'] });
  });

  it('quarantine lists with the SSM and DynamoDB clients only; status of a service with quarantine creates no other', async () => {
    // GIVEN a service deployed with quarantine
    const f = await createServiceFixture({ service: 'lazy-quarantine', quarantine: {} });
    const ws = workspace(f.service, null);
    // WHEN / THEN
    expect(await clientsCreatedBy(['quarantine', f.service], ws.dir)).toEqual({ code: 0, created: ['dynamodb', 'ssm'] });
    expect(await clientsCreatedBy(['status', f.service], ws.dir)).toEqual({ code: 0, created: ['autoscaling', 'cloudwatch', 'dynamodb', 'elbv2', 'ssm'] });
  });

  it('a fresh process loads no SDK client package for help, and only those three for a rollback', async () => {
    // GIVEN green released
    const f = await createServiceFixture({ service: 'lazy-process' });
    const ws = workspace(f.service);
    expect((await runMain(['release', f.service, '--strategy', 'all-at-once', '--poll', '200ms'], ws.dir, createAwsClients())).code).toBe(0);

    // WHEN / THEN
    expect(await clientPackagesLoadedBy(['--help'], ws.dir)).toEqual({ code: 0, clients: [] });
    expect(await clientPackagesLoadedBy(['dr', '--help'], ws.dir)).toEqual({ code: 0, clients: [] });
    expect(await clientPackagesLoadedBy(['quarantine', '--help'], ws.dir)).toEqual({ code: 0, clients: [] });
    expect(await clientPackagesLoadedBy(['rollback', f.service, '--steps', '10'], ws.dir)).toEqual({ code: 2, clients: [] });
    expect(await clientPackagesLoadedBy(['rollback', f.service], ws.dir)).toEqual({
      code: 0,
      clients: ['client-dynamodb', 'client-elastic-load-balancing-v2', 'client-ssm'],
    });
  });
});
