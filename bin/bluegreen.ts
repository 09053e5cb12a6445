// The `bluegreen` CLI. Shipped bundled (scripts/bundle-cli.mjs -> dist/cli/bluegreen.mjs, the package's bin);
// from a checkout, `npm run bluegreen -- <args>` runs this file with tsx.
import * as readline from 'readline';
import { InterruptSignal, main } from '../lib/cli';

// The SDK warns on every client that Node 20 support ends in 2027: nine lines of stderr on every command, which
// would bury the CLI's one-line messages. docs/RELEASING.md says to move to Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Ctrl-C or a kill leaves a release in progress on purpose (its record says where it stopped); the CLI prints where,
// and what to run next, then exits at once. A second signal while that is printed exits without waiting.
let onSignal: ((signal: InterruptSignal) => number) | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    const code = onSignal ? onSignal(signal) : signal === 'SIGINT' ? 130 : 143;
    process.exit(code);
  });
}

// `bluegreen status web | head` closes the pipe early: not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

/** A yes/no question on the terminal; only when someone is there to answer. */
function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the question is Ctrl-C: the CLI's own handler says nothing changed.
  rl.on('SIGINT', () => {
    rl.close();
    process.kill(process.pid, 'SIGINT');
  });
  return new Promise((resolve) => {
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  // Read at each redraw: the terminal may be resized.
  get columns() {
    return process.stdout.columns;
  },
  env: process.env,
  cwd: process.cwd(),
  confirm: process.stdin.isTTY && process.stdout.isTTY ? confirm : undefined,
  interrupts: {
    handle: (handler) => {
      onSignal = handler;
    },
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bluegreen: ${(e as Error).message}\n`);
    process.exitCode = 6;
  },
);
