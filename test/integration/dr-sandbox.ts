/**
 * An interactive DR sandbox for trying `bluegreen dr` by hand in a terminal (not a test; nothing runs it in CI):
 * a moto server with a pilot-light pair of `web` (eu-west-1 primary, eu-central-1 standby) and the stand-ins of
 * dr-pair.ts for what moto lacks (alarm evaluation, Route 53's answer, the two load balancers).
 *
 *   npx tsx test/integration/dr-sandbox.ts
 *   bluegreen> dr status web
 *   bluegreen> dr drill web --hold 5s
 *   bluegreen> :primary-dark          (the primary Region's API and load balancer stop answering)
 *   bluegreen> dr failover web --outage --region eu-central-1
 *   bluegreen> :primary-light         (back)
 *   bluegreen> :quit
 *
 * Every other line is a bluegreen command line, run in this process (`main`) with the sandbox's stand-ins.
 */
import * as readline from 'node:readline/promises';
import { createAwsClients } from '../../lib/aws';
import { main } from '../../lib/cli/main';
import { createDrPair, PRIMARY_ADDRESS, PRIMARY_REGION } from './dr-pair';
import { startMotoServer } from './moto-process';

async function sandbox(): Promise<void> {
  const moto = await startMotoServer();
  Object.assign(process.env, moto.env);
  const pair = await createDrPair({ service: 'web', endpoint: moto.endpoint });
  let primaryDark = false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write(`DR sandbox: moto at ${moto.endpoint}; web in ${PRIMARY_REGION} (primary) and eu-central-1 (pilot-light standby). :quit to end.\n`);
  try {
    for (;;) {
      const line = (await rl.question('bluegreen> ')).trim();
      if (line === ':quit') break;
      if (line === ':primary-dark' || line === ':primary-light') {
        primaryDark = line === ':primary-dark';
        pair.albs.setDark(PRIMARY_ADDRESS, primaryDark);
        process.stdout.write(`primary Region ${primaryDark ? 'dark: its API and load balancer do not answer' : 'back'}\n`);
        continue;
      }
      if (!line) continue;
      const argv = line.replace(/^bluegreen\s+/, '').split(/\s+/);
      const region = argv.includes('--region') ? argv[argv.indexOf('--region') + 1] : PRIMARY_REGION;
      // A dark primary: every client but the standby's own goes to a closed port.
      const endpoint = primaryDark && region === PRIMARY_REGION ? 'http://127.0.0.1:9' : moto.endpoint;
      const saved = process.env.AWS_ENDPOINT_URL;
      if (primaryDark) process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
      const clients = createAwsClients({ region, endpoint });
      try {
        const code = await main(argv.includes('--region') ? argv : [...argv, '--region', region], {
          stdout: process.stdout,
          stderr: process.stderr,
          isTTY: true,
          env: process.env,
          cwd: process.cwd(),
          clients,
          drPortsOptions: pair.drPortsOptions,
        });
        process.stdout.write(`(exit ${code})\n`);
      } finally {
        clients.destroy();
        process.env.AWS_ENDPOINT_URL = saved;
      }
    }
  } finally {
    rl.close();
    await pair.close();
    await moto.stop();
  }
}

sandbox().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
