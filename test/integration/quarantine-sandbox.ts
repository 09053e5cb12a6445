/**
 * An interactive quarantine sandbox for trying `bluegreen quarantine` by hand in a terminal (not a test; nothing runs
 * it in CI): a moto server with service `web` deployed with `Healing.quarantine()` (keep 1 per colour, 2 per
 * service), and the stand-ins of quarantine-stand-ins.ts for what moto lacks (the hook firing, the group's cause,
 * CompleteLifecycleAction, the Retained state).
 *
 *   npx tsx test/integration/quarantine-sandbox.ts
 *   bluegreen> :sick blue            (one of blue's instances fails its health check: SetInstanceHealth, then the
 *                                     lifecycle action the group would send, handled by the quarantine function)
 *   bluegreen> quarantine web
 *   bluegreen> quarantine extend web i-... --for 2d
 *   bluegreen> :later 25h            (the sandbox's clock moves on; the sweep runs as its schedule would)
 *   bluegreen> status web
 *   bluegreen> :quit
 *
 * Every other line is a bluegreen command line, run in this process (`main`).
 */
import * as readline from 'node:readline/promises';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetInstanceHealthCommand } from '@aws-sdk/client-auto-scaling';
import { createAwsClients } from '../../lib/aws';
import { main } from '../../lib/cli/main';
import { QUARANTINE_SWEEP_SOURCE } from '../../lib/contract';
import { DescriptorCache } from '../../lib/lambda/auto-rollback/descriptor-cache';
import { runQuarantine } from '../../lib/lambda/quarantine';
import { parseDuration } from '../../lib/release';
import { createServiceFixture } from './fixture';
import { startMotoServer } from './moto-process';
import { autoScalingWithStandIns, lifecycleActionEvent, motoLifecycle } from './quarantine-stand-ins';

async function sandbox(): Promise<void> {
  const moto = await startMotoServer();
  Object.assign(process.env, moto.env);
  const clients = createAwsClients();
  const fx = await createServiceFixture({ service: 'web', clients, quarantine: {} });
  const lifecycle = motoLifecycle();
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 50))) };
  const config = () => ({
    serviceName: 'web',
    clients,
    descriptors: new DescriptorCache('web'),
    autoScaling: autoScalingWithStandIns(clients, lifecycle),
    clock,
    log: (line: object) => process.stdout.write(`function: ${JSON.stringify(line)}\n`),
  });
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write(`Quarantine sandbox: moto at ${moto.endpoint}; web in eu-west-1 keeps 1 sick instance per colour. :sick <colour>, :later <duration>, :quit.\n`);
  try {
    for (;;) {
      const line = (await rl.question('bluegreen> ')).trim();
      if (line === ':quit') break;
      if (!line) continue;
      const [word, arg] = line.split(/\s+/);
      try {
        if (word === ':sick') {
          const group = fx.colours[arg === 'green' ? 'green' : 'blue'].autoScalingGroupName;
          const out = await clients.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
          const healthy = out.AutoScalingGroups?.[0]?.Instances?.find((i) => i.HealthStatus === 'Healthy' && i.LifecycleState === 'InService' && !lifecycle.retained.has(i.InstanceId ?? ""));
          if (!healthy?.InstanceId) throw new Error(`no healthy instance left in ${group}`);
          await clients.get(AutoScalingClient).send(new SetInstanceHealthCommand({ InstanceId: healthy.InstanceId, HealthStatus: 'Unhealthy' }));
          await runQuarantine(lifecycleActionEvent(lifecycle, group, healthy.InstanceId), config());
          continue;
        }
        if (word === ':later') {
          offsetMs += parseDuration(arg ?? '1h', ':later');
          process.stdout.write(`clock now ${new Date(clock.now()).toISOString()}; the sweep runs\n`);
          await runQuarantine({ source: QUARANTINE_SWEEP_SOURCE }, config()).catch((e: Error) => process.stdout.write(`sweep: ${e.message}\n`));
          continue;
        }
      } catch (e) {
        process.stdout.write(`sandbox: ${(e as Error).message}\n`);
        continue;
      }
      const argv = line.replace(/^bluegreen\s+/, '').split(/\s+/);
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
    await moto.stop();
  }
}

sandbox().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
