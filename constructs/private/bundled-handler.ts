import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The prebundled code of one of the package's Lambda handlers (`assets/<name>/index.js`, built from `lib/lambda/`
 * by `npm run build:lambdas`), so a consumer's synth needs no esbuild, Docker or network.
 *
 * The folder is found by walking up to the package root: this file runs from `constructs/` in a checkout and from
 * `dist/constructs/` in the published package.
 */
export function bundledHandlerCode(name: string): lambda.Code {
  return lambda.Code.fromAsset(path.join(packageRoot(), 'assets', name));
}

function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cdk-bluegreen: no package.json above ${__dirname}; the package is incomplete, reinstall it.`);
    dir = parent;
  }
  return dir;
}
