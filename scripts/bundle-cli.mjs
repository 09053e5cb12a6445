#!/usr/bin/env node
// Bundles the bluegreen CLI, bin/bluegreen.ts, into dist/cli/bluegreen.mjs (the package's bin) with the AWS SDK
// inside: the package has no runtime dependencies. ESM with code splitting, so that every `await import()` of the
// CLI (lib/cli/aws-access.ts, lib/aws/create-aws-ports.ts) becomes a chunk loaded only when a command calls it: help
// loads no SDK, and a rollback only SSM, ELBv2 and DynamoDB.
import * as esbuild from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the bundle goes; package.json's bin points at `bluegreen.mjs` in it. */
export const OUT_DIR = join(ROOT, 'dist', 'cli');

/** esbuild options of the CLI bundle, into `outdir`. */
export function cliBundleOptions(outdir = OUT_DIR) {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return {
    absWorkingDir: ROOT,
    entryPoints: { bluegreen: 'bin/bluegreen.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'node',
    // The SDK's ES module builds: esbuild drops the commands and schemas the CLI never sends, and skips the
    // CommonJS interop wrappers. EC2's client shrinks from 1 MB to what DescribeImages and the tags need.
    mainFields: ['module', 'main'],
    target: 'node20',
    minify: true,
    legalComments: 'none',
    // lib/cli/version.ts reads package.json only when run from source.
    define: { BLUEGREEN_VERSION: JSON.stringify(version) },
    banner: {
      // The SDK's CommonJS modules call require(); in an ES module it has to be made.
      js: "#!/usr/bin/env node\nimport { createRequire as __bluegreenRequire } from 'module'; const require = __bluegreenRequire(import.meta.url);",
    },
    logLevel: 'warning',
    metafile: true,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const result = await esbuild.build(cliBundleOptions());
  const entry = join(OUT_DIR, 'bluegreen.mjs');
  chmodSync(entry, 0o755);
  const outputs = Object.entries(result.metafile.outputs);
  const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
  const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
  console.log(`bundled dist/cli/bluegreen.mjs (${kb(result.metafile.outputs['dist/cli/bluegreen.mjs'].bytes)}) and ${outputs.length - 1} chunks, ${kb(total)} in all`);
}
