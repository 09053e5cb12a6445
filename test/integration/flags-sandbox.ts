/**
 * An interactive feature-flag sandbox for trying `bluegreen flags` by hand in a terminal (not a test; nothing runs it
 * in CI): a moto server with service `web` and two declared flags, and the AppConfig stand-in
 * (./appconfig-stand-in.ts) for what moto lacks (environments, strategies, deployments, the monitor, alarm actions).
 * The stand-in's clock runs 60 times faster than the wall clock, so a 10-minute bake takes 10 seconds.
 *
 *   npx tsx test/integration/flags-sandbox.ts
 *   bluegreen> flags web
 *   bluegreen> flags set web release-new-checkout on --gradual --reason "rollout" --no-wait
 *   bluegreen> :alarm ALARM          (the gates fire: the monitor composite goes to ALARM)
 *   bluegreen> flags kill web release-new-checkout --reason "INC-42: 5xx on checkout"
 *   bluegreen> :later 15m            (the stand-in's clock moves on)
 *   bluegreen> :quit
 *
 * Every other line is a bluegreen command line (quotes group words), run in this process (`main`).
 */
import * as readline from 'node:readline/promises';
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { createAwsClients } from '../../lib/aws';
import { main } from '../../lib/cli/main';
import { parseDuration } from '../../lib/release';
import { startAppConfigStandIn } from './appconfig-stand-in';
import { createServiceFixture } from './fixture';
import { startMotoServer } from './moto-process';

/** Split a command line into words, keeping "double" or 'single' quoted words together. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

async function sandbox(): Promise<void> {
  const moto = await startMotoServer();
  const standIn = await startAppConfigStandIn({ motoEndpoint: moto.endpoint, timeScale: 60 });
  Object.assign(process.env, moto.env, standIn.env);
  const clients = createAwsClients();
  const fx = await createServiceFixture({
    service: 'web',
    clients,
    featureFlags: {
      flags: [
        { name: 'release-new-checkout', description: 'Serve the new checkout flow', owner: 'team-payments', created: '2026-11-30', expiry: '2027-02-15', default: false },
        { name: 'ops-disable-recommendations', description: 'Turn recommendations off', owner: 'team-shop', created: '2026-01-05', expiry: '2026-10-31', default: false },
      ],
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write(`Flags sandbox: moto at ${moto.endpoint}, AppConfig stand-in at ${standIn.endpoint} (60x clock); web in eu-west-1. :alarm ALARM|OK, :later <duration>, :quit.\n`);
  try {
    for (;;) {
      const line = (await rl.question('bluegreen> ')).trim();
      if (line === ':quit') break;
      if (!line) continue;
      const argv = words(line.replace(/^bluegreen\s+/, ''));
      try {
        if (argv[0] === ':alarm') {
          const state = argv[1] === 'OK' ? 'OK' : 'ALARM';
          await clients.get(CloudWatchClient).send(new SetAlarmStateCommand({ AlarmName: fx.featureFlags!.monitorAlarmName, StateValue: state, StateReason: `sandbox: ${state}` }));
          await standIn.tick();
          process.stdout.write(`monitor ${fx.featureFlags!.monitorAlarmName} is ${state}\n`);
          continue;
        }
        if (argv[0] === ':later') {
          await standIn.advance(parseDuration(argv[1] ?? '10m', ':later'));
          process.stdout.write(`stand-in clock now ${new Date(standIn.now()).toISOString()}\n`);
          continue;
        }
      } catch (e) {
        process.stdout.write(`sandbox: ${(e as Error).message}\n`);
        continue;
      }
      const own = createAwsClients();
      try {
        const code = await main(argv, { stdout: process.stdout, stderr: process.stderr, isTTY: true, env: process.env, cwd: process.cwd(), clients: own });
        process.stdout.write(`(exit ${code})\n`);
      } finally {
        own.destroy();
      }
    }
  } finally {
    rl.close();
    clients.destroy();
    await standIn.stop();
    await moto.stop();
  }
}

sandbox().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
