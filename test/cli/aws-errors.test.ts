/**
 * AWS errors a person can act on, one line each with the fix: unit cases of the mapping (aws-errors.ts), then the real
 * CLI process against endpoints that fail the way AWS does: a fake SSM endpoint answering each error, a proxy to
 * moto that denies ModifyRule, a closed port, no credentials, an unknown profile.
 */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { annotateAwsErrors, checkProfileExists, explainAwsError, isAwsError } from '../../lib/cli/aws-errors';
import { EXIT_CODES, exitCodeForError } from '../../lib/cli/exit-codes';
import { createAwsClients } from '../../lib/aws';
import { UsageError } from '../../lib/release';
import { createServiceFixture } from '../integration/fixture';
import { useMotoServer } from '../integration/moto-server';
import { removeWorkspaces, runCli, startCli, waitForGreen, workspace } from './harness';

const server = useMotoServer();
afterAll(removeWorkspaces);

const ctx = { env: {} };

/** An error shaped as the SDK throws it. */
function sdkError(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, attempts: 5 }, $fault: 'client', ...extra });
}

describe('explainAwsError', () => {
  it('names what is missing when there are no credentials, and the profile when one was given', () => {
    const e = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(explainAwsError(e, ctx)?.message).toBe(
      'No AWS credentials found: no --profile or AWS_PROFILE, no AWS_ACCESS_KEY_ID in the environment, no default profile, no instance or task role. ' +
        'Fix: pass --profile <name> or set AWS_PROFILE (aws sso login --profile <name> first for SSO), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in a pipeline, give the job a role; then run the command again.',
    );
    expect(explainAwsError(e, { ...ctx, profile: 'prod' })?.message).toMatch(/^No AWS credentials for profile 'prod' \(Could not load credentials from any providers\)\. Fix: aws sso login --profile prod /);
  });

  it('says an SSO session expired, with the login command', () => {
    const e = Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid.'), { name: 'CredentialsProviderError' });
    expect(explainAwsError(e, { ...ctx, profile: 'prod' })).toEqual({
      problem: 'expired-credentials',
      message: "The SSO session of profile 'prod' has expired. Fix: aws sso login --profile prod, then run the command again.",
    });
  });

  it.each([
    ['ExpiredTokenException', 'The security token included in the request is expired', 'expired-credentials', /^AWS refused ssm GetParameter: the credentials have expired \(ExpiredTokenException\)\. Fix: get new ones/],
    ['ExpiredToken', 'The security token included in the request is expired', 'expired-credentials', /credentials have expired \(ExpiredToken\)/],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', 'invalid-credentials', /^AWS refused ssm GetParameter: it does not know the credentials \(UnrecognizedClientException: The security token included in the request is invalid\)\. Fix: check the access key and secret/],
    ['ThrottlingException', 'Rate exceeded', 'throttled', /^AWS throttled ssm GetParameter \(ThrottlingException\) and the retries ran out: too many calls to it in this account and Region\. Fix: wait a minute, then run the command again; slow down other callers/],
    ['RequestLimitExceeded', 'Request limit exceeded.', 'throttled', /^AWS throttled ssm GetParameter \(RequestLimitExceeded\)/],
  ])('explains %s', (name, message, problem, expected) => {
    const e = sdkError(name, message);
    Object.defineProperty(e, Symbol.for('bluegreen.awsCall'), { value: { service: 'ssm', operation: 'GetParameter' } });
    const explained = explainAwsError(e, ctx);
    expect(explained?.problem).toBe(problem);
    expect(explained?.message).toMatch(expected);
    expect(exitCodeForError(e)).toBe(EXIT_CODES['aws-error']);
  });

  it('names the action, the resource and the grant method of a denied call: grantStatus for reads, grantRelease for writes', () => {
    const read = sdkError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/oncall/ana is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/web/descriptor because no identity-based policy allows the ssm:GetParameter action',
    );
    expect(explainAwsError(read, ctx)?.message).toBe(
      'Access denied: arn:aws:sts::123456789012:assumed-role/oncall/ana may not call ssm:GetParameter on arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/web/descriptor. ' +
        "Fix: in the service's CDK app, BlueGreenService.grantStatus(<role>) gives it (read-only; grantRelease gives it too); deploy, then run the command again.",
    );
    // An EC2-style message names no resource; the action comes from the call
    const write = sdkError('AccessDenied', 'Forbidden');
    Object.defineProperty(write, Symbol.for('bluegreen.awsCall'), { value: { service: 'elbv2', operation: 'ModifyRule' } });
    expect(explainAwsError(write, ctx)?.message).toBe(
      "Access denied: these credentials may not call elasticloadbalancing:ModifyRule. Fix: in the service's CDK app, BlueGreenService.grantRelease(<role>) gives it; deploy, then run the command again.",
    );
  });

  it('names the endpoint that cannot be reached, and AWS_ENDPOINT_URL when it is set', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9, $metadata: { attempts: 5 } });
    expect(explainAwsError(refused, ctx)?.message).toBe(
      'Cannot reach AWS: 127.0.0.1:9 refused the connection (ECONNREFUSED) for an AWS call after 5 attempts. Fix: check your network, VPN or proxy (HTTPS_PROXY), then run the command again.',
    );
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND elasticloadbalancing.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND', hostname: 'elasticloadbalancing.eu-west-1.amazonaws.com' });
    Object.defineProperty(dns, Symbol.for('bluegreen.awsCall'), { value: { service: 'elbv2', operation: 'DescribeRules', endpoint: 'https://elasticloadbalancing.eu-west-1.amazonaws.com' } });
    expect(explainAwsError(dns, { env: { AWS_ENDPOINT_URL: 'http://localhost:4566' } })?.message).toBe(
      'Cannot reach AWS: https://elasticloadbalancing.eu-west-1.amazonaws.com does not resolve (DNS) (ENOTFOUND) for elbv2 DescribeRules. ' +
        'Fix: check AWS_ENDPOINT_URL (http://localhost:4566), which sends the CLI there instead of AWS, then run the command again.',
    );
    const timeout = Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' });
    expect(explainAwsError(timeout, ctx)?.problem).toBe('unreachable');
  });

  it('leaves other errors alone: their own message, exit 6 unless they came from AWS (exit 5)', () => {
    expect(explainAwsError(new TypeError('x is undefined'), ctx)).toBeUndefined();
    expect(isAwsError(new TypeError('x is undefined'))).toBe(false);
    expect(exitCodeForError(new TypeError('x is undefined'))).toBe(EXIT_CODES.failed);
    const validation = sdkError('ValidationError', 'A rule with priority 50000 already exists');
    expect(explainAwsError(validation, ctx)).toBeUndefined();
    expect(exitCodeForError(validation)).toBe(EXIT_CODES['aws-error']);
  });

  it('keeps everything else the clients offer (their counter, retry notices...)', () => {
    const base = Object.assign(createAwsClients(), { onRetry: () => 'subscribed' });
    const wrapped = annotateAwsErrors(base) as typeof base;
    expect(wrapped.onRetry()).toBe('subscribed');
    expect(wrapped.counter).toBe(base.counter);
    expect(wrapped.created()).toEqual([]);
  });

  it('annotates the errors of real clients with the service, the operation and the endpoint', async () => {
    const clients = annotateAwsErrors(createAwsClients({ region: 'eu-west-1', maxAttempts: 1 }));
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    try {
      const e = await clients
        .get(SSMClient)
        .send(new GetParameterCommand({ Name: '/x' }))
        .catch((err: unknown) => err);
      expect(explainAwsError(e, ctx)?.message).toMatch(/^Cannot reach AWS: http:\/\/127\.0\.0\.1:9 refused the connection \(ECONNREFUSED\) for ssm GetParameter\. /);
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
      clients.destroy();
    }
  });
});

describe('profiles', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bluegreen-home-'));
  fs.mkdirSync(path.join(home, '.aws'));
  fs.writeFileSync(path.join(home, '.aws', 'config'), '[default]\nregion = eu-west-1\n[profile prod]\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\n');
  fs.writeFileSync(path.join(home, '.aws', 'credentials'), '[ci]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('finds profiles in both files, not sso-sessions', () => {
    expect(() => checkProfileExists('prod', '--profile', { HOME: home })).not.toThrow();
    expect(() => checkProfileExists('ci', '--profile', { HOME: home })).not.toThrow();
    expect(() => checkProfileExists('corp', '--profile', { HOME: home })).toThrow(UsageError);
  });

  it('names the unknown profile, where it looked, and the profiles there', () => {
    expect(() => checkProfileExists('nope', 'AWS_PROFILE', { HOME: home })).toThrow(
      'AWS_PROFILE nope: no such AWS profile in ~/.aws/config or ~/.aws/credentials (profiles there: ci, default, prod). ' +
        'Fix: pass a profile that exists, or create it (aws configure --profile nope, or aws configure sso --profile nope).',
    );
  });
});

/** A stand-in for SSM that answers every call with one error, as AWS's JSON protocol does. */
async function failingSsm(type: string, message: string, status = 400): Promise<{ url: string; close(): void }> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'r1' });
      res.end(JSON.stringify({ __type: type, message }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close() };
}

/** A proxy to moto that denies one ELBv2 action, as IAM would. */
async function denyingProxy(target: string, action: string): Promise<{ url: string; close(): void }> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.toString().includes(`Action=${action}`)) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
            `<Message>User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: elasticloadbalancing:${action} on resource: ` +
            'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/1/2/3 because no identity-based policy allows the action</Message></Error>' +
            '<RequestId>r1</RequestId></ErrorResponse>',
        );
        return;
      }
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close() };
}

describe.concurrent('the CLI process, failing the way AWS fails', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bluegreen-home-'));
  fs.mkdirSync(path.join(home, '.aws'));
  fs.writeFileSync(path.join(home, '.aws', 'config'), '[profile prod]\nregion = eu-west-1\n');
  fs.writeFileSync(path.join(home, '.aws', 'credentials'), '[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...server().childEnv(), HOME: home, ...extra });
  const oneLine = (stderr: string) => expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);

  it.each([
    ['ExpiredTokenException', 'The security token included in the request is expired', /^bluegreen: AWS refused ssm GetParameter: the credentials have expired \(ExpiredTokenException\)\. Fix: get new ones/],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', /^bluegreen: AWS refused ssm GetParameter: it does not know the credentials/],
    ['ThrottlingException', 'Rate exceeded', /^bluegreen: AWS throttled ssm GetParameter \(ThrottlingException\) and the retries ran out/],
    [
      'AccessDeniedException',
      'User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/bluegreen/web/descriptor because no identity-based policy allows the ssm:GetParameter action',
      /^bluegreen: Access denied: arn:aws:iam::123456789012:user\/oncall may not call ssm:GetParameter on arn:aws:ssm:eu-west-1:123456789012:parameter\/bluegreen\/web\/descriptor\. Fix: in the service's CDK app, BlueGreenService\.grantStatus\(<role>\) gives it/,
    ],
  ])('%s: one line with the fix, exit 5', async (type, message, expected) => {
    const fake = await failingSsm(type, message);
    try {
      const ws = workspace('err-fake');
      const run = await runCli(['status', 'web'], { env: env({ AWS_ENDPOINT_URL: fake.url }), cwd: ws.dir });
      expect(run.code).toBe(5);
      // Retries of a throttled or failing call show as they happen (issue 8: "says so on a line of its own"),
      // then one line explains the error and its fix.
      const lines = run.stderr.split('\n').filter(Boolean);
      for (const retry of lines.slice(0, -1)) expect(retry).toMatch(/^bluegreen: warning: AWS (throttling|error|not answering): ssm GetParameter, retry \d of \d/);
      expect(lines[lines.length - 1]).toMatch(expected);
      expect(run.stdout).toBe('');
    } finally {
      fake.close();
    }
  });

  it('a rollback whose ModifyRule is denied names the action, the rule and grantRelease: exit 5', async () => {
    // GIVEN a release that died at 50 %, and a role that may read but not modify the rule
    const f = await createServiceFixture({ service: 'err-denied' });
    const ws = workspace(f.service);
    const running = startCli(['release', f.service, '--steps', '50,100', '--bake', '30s', '--poll', '200ms'], { env: env(), cwd: ws.dir });
    await waitForGreen(f, 50);
    running.child.kill('SIGKILL');
    await running.done;
    const proxy = await denyingProxy(server().endpoint, 'ModifyRule');
    try {
      // WHEN
      const run = await runCli(['rollback', f.service], { env: env({ AWS_ENDPOINT_URL: proxy.url }), cwd: ws.dir });
      // THEN
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(
        /^bluegreen: Access denied: arn:aws:iam::123456789012:user\/oncall may not call elasticloadbalancing:ModifyRule on arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule\/app\/shop\/1\/2\/3\. Fix: in the service's CDK app, BlueGreenService\.grantRelease\(<role>\) gives it; deploy, then run the command again\.\nNext: bluegreen status err-denied, or bluegreen rollback err-denied\n$/,
      );
      expect(await f.weights()).toEqual({ blue: 50, green: 50 });
    } finally {
      proxy.close();
    }
  });

  it('an endpoint that refuses connections is named: exit 5', async () => {
    const ws = workspace('err-refused');
    const run = await runCli(['status', 'web'], { env: env({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }), cwd: ws.dir });
    expect(run.code).toBe(5);
    // each retry on a line of its own, then the explanation
    const lines = run.stderr.split('\n').filter(Boolean);
    for (const retry of lines.slice(0, -1)) expect(retry).toMatch(/^bluegreen: warning: AWS (not answering|error): ssm GetParameter, retry \d of \d/);
    expect(lines[lines.length - 1]).toMatch(/^bluegreen: Cannot reach AWS: http:\/\/127\.0\.0\.1:9 refused the connection \(ECONNREFUSED\) for ssm GetParameter after \d attempts\. Fix: check AWS_ENDPOINT_URL \(http:\/\/127\.0\.0\.1:9\)/);
  });

  it('no credentials anywhere: says where it looked and the fix, exit 5', async () => {
    const ws = workspace('err-nocreds');
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, AWS_SESSION_TOKEN: _t, ...rest } = env({ HOME: ws.dir });
    const run = await runCli(['status', 'web'], { env: rest, cwd: ws.dir });
    expect(run.code).toBe(5);
    oneLine(run.stderr);
    expect(run.stderr).toMatch(/^bluegreen: No AWS credentials found: no --profile or AWS_PROFILE, no AWS_ACCESS_KEY_ID in the environment, .* Fix: pass --profile <name>/);
  });

  it('--profile nope, with keys in the environment: names the profile in one line, no SDK warning, exit 2', async () => {
    const ws = workspace('err-profile');
    const run = await runCli(['status', 'web', '--profile', 'nope'], { env: env(), cwd: ws.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'bluegreen: --profile nope: no such AWS profile in ~/.aws/config or ~/.aws/credentials (profiles there: prod). ' +
        'Fix: pass a profile that exists, or create it (aws configure --profile nope, or aws configure sso --profile nope).\n',
    );
    const fromEnv = await runCli(['status', 'web'], { env: env({ AWS_PROFILE: 'nope' }), cwd: ws.dir });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/^bluegreen: AWS_PROFILE nope: no such AWS profile/);
  });

  it('a profile that exists, with keys in the environment too: the profile is used, one warning line instead of nine', async () => {
    const f = await createServiceFixture({ service: 'err-prod' });
    const ws = workspace(f.service);
    const run = await runCli(['status', f.service, '--profile', 'prod'], { env: env(), cwd: ws.dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      "bluegreen: warning: using profile 'prod'; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are ignored (unset them, or drop the profile, to use them)\n",
    );
    expect(run.stdout).toMatch(/^err-prod \(eu-west-1\): blue is live/);
  });
});
