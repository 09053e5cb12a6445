import { execFile } from 'child_process';
import { promisify } from 'util';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../lib/aws';
import { useMotoServer } from './moto-server';

const moto = useMotoServer();

describe('moto server harness', () => {
  it('points the SDK of a child process at moto, with no endpoint code and a quiet stderr', async () => {
    // GIVEN a parameter written from this process
    await createAwsClients().get(SSMClient).send(new PutParameterCommand({ Name: '/probe', Value: 'from-parent', Type: 'String' }));
    // WHEN a child process reads it with a default-configured client
    const script =
      "const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm');" +
      "new SSMClient({}).send(new GetParameterCommand({ Name: '/probe' })).then((o) => console.log(o.Parameter.Value));";
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], { env: moto().childEnv(), cwd: process.cwd() });
    // THEN
    expect(stdout.trim()).toBe('from-parent');
    expect(stderr).toBe('');
  });

  it('forgets everything on reset', async () => {
    // GIVEN
    const ssm = createAwsClients().get(SSMClient);
    await ssm.send(new PutParameterCommand({ Name: '/gone', Value: 'x', Type: 'String', Overwrite: true }));
    // WHEN
    await moto().reset();
    // THEN
    await expect(ssm.send(new GetParameterCommand({ Name: '/gone' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });
});
