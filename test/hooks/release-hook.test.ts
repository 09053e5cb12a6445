import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { HookPoint, ReleaseHook } from '../../constructs';
import { HOOK_POINT_NAMES } from '../../lib/contract';
import { freshStack } from '../fleet/fixtures';

const FN_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:migrate';

function importedFunction(stack: Stack = freshStack()): lambda.IFunction {
  return lambda.Function.fromFunctionArn(stack, 'Migrate', FN_ARN);
}

describe('HookPoint', () => {
  it('has one static per point of the contract, in release order', () => {
    // GIVEN / WHEN
    const names = HookPoint.all().map((p) => p.name);
    // THEN
    expect(names).toEqual([...HOOK_POINT_NAMES]);
    expect([HookPoint.PRE_RELEASE, HookPoint.STEP, HookPoint.PRE_PROMOTION, HookPoint.POST_PROMOTION, HookPoint.ON_ROLLBACK].map(String)).toEqual([...HOOK_POINT_NAMES]);
  });
});

describe('ReleaseHook', () => {
  it('lambdaFunction: targets the function ARN, 5 minutes, 1 retry, not a contract by default', () => {
    // GIVEN
    const fn = importedFunction();
    // WHEN
    const hook = ReleaseHook.lambdaFunction(fn, { name: 'expand-schema', point: HookPoint.PRE_RELEASE });
    // THEN
    expect(hook).toMatchObject({ name: 'expand-schema', point: HookPoint.PRE_RELEASE, kind: 'lambda', target: FN_ARN, retries: 1, contract: false, function: fn, url: undefined });
    expect(hook.timeout.toSeconds()).toBe(300);
  });

  it('webhook: targets the URL, 30 seconds, 1 retry by default', () => {
    // GIVEN / WHEN
    const hook = ReleaseHook.webhook('https://ci.example.com/hooks/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION });
    // THEN
    expect(hook).toMatchObject({ kind: 'webhook', target: 'https://ci.example.com/hooks/smoke', url: 'https://ci.example.com/hooks/smoke', retries: 1, contract: false, function: undefined });
    expect(hook.timeout.toSeconds()).toBe(30);
  });

  it('takes a timeout, retries and the contract flag', () => {
    // GIVEN / WHEN
    const hook = ReleaseHook.lambdaFunction(importedFunction(), {
      name: 'drop-old-column',
      point: HookPoint.POST_PROMOTION,
      timeout: Duration.minutes(15),
      retries: 0,
      contract: true,
    });
    // THEN
    expect(hook).toMatchObject({ retries: 0, contract: true });
    expect(hook.timeout.toSeconds()).toBe(900);
    expect(String(hook)).toBe('lambda hook drop-old-column (post-promotion, contract)');
  });

  it.each([
    ['Expand', 'capital letter'],
    ['1-expand', 'starts with a digit'],
    ['expand_schema', 'underscore'],
    ['', 'empty'],
    ['a'.repeat(41), '41 characters'],
  ])('refuses the name %j (%s), naming the prop, the value and the rule', (name) => {
    // GIVEN / WHEN / THEN
    expect(() => ReleaseHook.lambdaFunction(importedFunction(), { name, point: HookPoint.STEP })).toThrow(
      `ReleaseHook.lambdaFunction name: must start with a lower-case letter, then lower-case letters, digits and hyphens, at most 40 characters (e.g. expand-schema). Got ${JSON.stringify(name)}.`,
    );
    expect(() => ReleaseHook.webhook('https://example.com', { name, point: HookPoint.STEP })).toThrow(/^ReleaseHook\.webhook name: /);
  });

  it.each([
    ['http://ci.example.com/smoke', /must be an https:\/\/ URL/],
    ['ci.example.com/smoke', /must be an absolute https:\/\/ URL/],
    ['ftp://ci.example.com/smoke', /must be an https:\/\/ URL/],
  ])('refuses the webhook URL %s, naming url', (url, message) => {
    // GIVEN / WHEN / THEN
    expect(() => ReleaseHook.webhook(url, { name: 'smoke', point: HookPoint.POST_PROMOTION })).toThrow(/^ReleaseHook\.webhook url: /);
    expect(() => ReleaseHook.webhook(url, { name: 'smoke', point: HookPoint.POST_PROMOTION })).toThrow(message);
  });

  it('refuses credentials in the webhook URL without repeating them', () => {
    // GIVEN / WHEN
    const attempt = () => ReleaseHook.webhook('https://ci:s3cret@ci.example.com/smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION });
    // THEN
    expect(attempt).toThrow(/^ReleaseHook\.webhook url: must not carry credentials/);
    expect(attempt).not.toThrow(/s3cret/);
  });

  it.each([
    [Duration.seconds(0), 'Got 0 seconds.'],
    [Duration.minutes(16), 'Got 960 seconds.'],
    [Duration.millis(1500), 'Got "1.5 seconds".'],
  ])('refuses the timeout %s, naming the hook', (timeout, got) => {
    // GIVEN / WHEN / THEN
    expect(() => ReleaseHook.webhook('https://example.com', { name: 'smoke', point: HookPoint.STEP, timeout })).toThrow(
      `ReleaseHook.webhook 'smoke' timeout: must be a whole number of seconds from 1 to 900 (15 minutes). ${got}`,
    );
  });

  it.each([-1, 6, 1.5])('refuses %s retries', (retries) => {
    // GIVEN / WHEN / THEN
    expect(() => ReleaseHook.lambdaFunction(importedFunction(), { name: 'expand', point: HookPoint.PRE_RELEASE, retries })).toThrow(
      `ReleaseHook.lambdaFunction 'expand' retries: must be a whole number from 0 to 5. Got ${retries}.`,
    );
  });

  it.each([HookPoint.PRE_RELEASE, HookPoint.STEP, HookPoint.PRE_PROMOTION, HookPoint.ON_ROLLBACK])('refuses a contract hook at %s, saying where it belongs', (point) => {
    // GIVEN / WHEN / THEN
    expect(() => ReleaseHook.lambdaFunction(importedFunction(), { name: 'drop-column', point, contract: true })).toThrow(
      new RegExp(`^ReleaseHook\\.lambdaFunction 'drop-column' point: a contract hook must be declared at HookPoint\\.POST_PROMOTION.*Got "${point.name}"\\.$`),
    );
  });

  it('skips the checks for tokens', () => {
    // GIVEN
    const stack = freshStack();
    const number = Lazy.number({ produce: () => 99 });
    // WHEN
    const hook = ReleaseHook.lambdaFunction(importedFunction(stack), {
      name: Lazy.string({ produce: () => 'NOT VALID' }),
      point: HookPoint.STEP,
      timeout: Duration.seconds(number),
      retries: number,
    });
    const webhook = ReleaseHook.webhook(Lazy.string({ produce: () => 'http://example.com' }), { name: 'smoke', point: HookPoint.STEP });
    const half = ReleaseHook.webhook(`https://${Lazy.string({ produce: () => 'api.example.com' })}/smoke`, { name: 'half', point: HookPoint.STEP });
    // THEN
    expect(Token.isUnresolved(hook.name)).toBe(true);
    expect(stack.resolve(hook.timeout.toSeconds())).toBe(99);
    expect(Token.isUnresolved(webhook.url)).toBe(true);
    expect(half.kind).toBe('webhook');
  });

  it('checks the literal start of a URL with tokens', () => {
    // GIVEN
    const host = Lazy.string({ produce: () => 'api.example.com' });
    // WHEN / THEN
    expect(() => ReleaseHook.webhook(`http://${host}/smoke`, { name: 'smoke', point: HookPoint.STEP })).toThrow(/^ReleaseHook\.webhook url: must be an https:\/\/ URL/);
  });
});
