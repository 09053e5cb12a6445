/**
 * Run by test/cli/lazy-loading.test.ts as `node --import tsx test/cli/loaded-sdk-clients.ts <bluegreen args>`: runs
 * the CLI's `main` in a fresh process, then prints, as the last line of stdout, the AWS SDK client packages the
 * process loaded (the CLI's own output goes to stderr). A fresh process, because the test runner's own modules
 * would already have loaded them.
 */
import { main } from '../../lib/cli';

const toStderr = { write: (text: string) => process.stderr.write(text) };

main(process.argv.slice(2), { stdout: toStderr, stderr: toStderr, isTTY: false, env: process.env, cwd: process.cwd() }).then((code) => {
  const packages = Object.keys(require.cache).map((file) => /node_modules\/@aws-sdk\/(client-[^/]+)\//.exec(file)?.[1]);
  process.stdout.write(`${JSON.stringify({ code, clients: [...new Set(packages.filter((p) => p !== undefined))].sort() })}\n`);
});
