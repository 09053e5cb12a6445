#!/usr/bin/env node
// Database migrations tied to releases, expand/contract style: a column rename (orders.customer -> orders.customer_id)
// done as expand (before any traffic moves), release, smoke test, then contract once the old colour is in standby.
//
//   bluegreen release orders ...      runs `expand-schema` (pre-release), moves traffic, runs `smoke` (post-promotion)
//   bluegreen scale-down orders       puts the old colour in standby (or the automatic rollback's reconciler does)
//   bluegreen contract orders         runs `drop-old-column`; refused, saying when, while the old colour is warm
//
// Copy this folder, replace the AMI ids and the smoke-test URL, then: npx cdk synth --app "npx tsx app.ts"
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BlueGreenService, HookPoint, ReleaseHook, ReleaseManifest } from '../../constructs';

/**
 * A migration function. Each receives the hook event (service, releaseId, idempotencyKey, attempt, colours, images,
 * weights) and answers `{ verdict, detail }`; no verdict passes, a thrown error fails the attempt. A real one would
 * run in the database's VPC and record `idempotencyKey` in the same transaction, so a retry or a resume after a
 * crash applies the change once.
 */
function migration(stack: Stack, id: string, description: string, sql: string): lambda.Function {
  return new lambda.Function(stack, id, {
    description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    // No longer than the hook's timeout (5 minutes by default), so a retry never overlaps a running attempt.
    timeout: Duration.minutes(5),
    code: lambda.Code.fromInline(
      [
        'exports.handler = async (event) => {',
        `  console.log(JSON.stringify({ key: event.idempotencyKey, attempt: event.attempt, sql: ${JSON.stringify(sql)} }));`,
        '  // Apply the change here, recording event.idempotencyKey with it.',
        `  return { verdict: 'passed', detail: ${JSON.stringify(sql)} };`,
        '};',
      ].join('\n'),
    ),
  });
}

export function build(app = new App()): Stack {
  const stack = new Stack(app, 'Orders', { env: { region: 'eu-west-1' } });
  const orders = new BlueGreenService(stack, 'Orders', {
    serviceName: 'orders',
    manifest: ReleaseManifest.fromFile(path.join(__dirname, 'releases', 'orders.json')),
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  });

  // Expand: additive, so the old version keeps working against the new schema. Runs before any weight moves; a
  // failure ends the release with nothing moved.
  const expand = migration(stack, 'ExpandSchema', 'orders: add customer_id, copy customer into it', 'ALTER TABLE orders ADD COLUMN customer_id text');
  orders.addReleaseHook(ReleaseHook.lambdaFunction(expand, { name: 'expand-schema', point: HookPoint.PRE_RELEASE, retries: 2 }));

  // Smoke test after promotion, while the old colour is still warm: a failure rolls back to it.
  orders.addReleaseHook(
    ReleaseHook.webhook('https://ci.example.com/hooks/orders-smoke', { name: 'smoke', point: HookPoint.POST_PROMOTION, timeout: Duration.minutes(2) }),
  );

  // Contract: destructive, only once the previous version can no longer come back. Never run during a release:
  // `bluegreen contract orders` runs it when the old colour is in standby.
  const contract = migration(stack, 'DropOldColumn', 'orders: drop the customer column', 'ALTER TABLE orders DROP COLUMN customer');
  orders.addReleaseHook(ReleaseHook.lambdaFunction(contract, { name: 'drop-old-column', point: HookPoint.POST_PROMOTION, contract: true, retries: 0 }));

  // The pipeline's role: the release commands, invoking the two migration functions included.
  const pipeline = new iam.Role(stack, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal(), description: 'orders release pipeline' });
  orders.grantRelease(pipeline);
  return stack;
}

if (require.main === module) {
  const app = new App();
  build(app);
  app.synth();
}
