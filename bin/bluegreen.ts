// The `bluegreen` CLI. Shipped bundled (scripts/bundle-cli.mjs -> dist/cli/bluegreen.mjs, the package's bin);
// from a checkout, `npm run bluegreen -- <args>` runs this file with tsx.
import { main } from '../lib/cli';

// The SDK warns on every client that Node 20 support ends in 2027: nine lines of stderr on every command, which
// would bury the CLI's one-line messages. docs/RELEASING.md says to move to Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Ctrl-C or a kill leaves a release in progress on purpose: its record says where it stopped.
process.once('SIGINT', () => {
  process.stderr.write('\nbluegreen: interrupted. A release in progress stays where it is: run bluegreen status, then resume or rollback.\n');
  process.exit(130);
});

// `bluegreen status web | head` closes the pipe early: not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bluegreen: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
