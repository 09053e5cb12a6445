import * as fs from 'fs';
import * as path from 'path';

/** Replaced by the package's version when scripts/bundle-cli.mjs bundles the CLI (esbuild `define`). */
declare const BLUEGREEN_VERSION: string | undefined;

/** The version of cdk-bluegreen this CLI is: the bundle's, or package.json's when run from source. */
export function cliVersion(): string {
  if (typeof BLUEGREEN_VERSION === 'string') return BLUEGREEN_VERSION;
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
