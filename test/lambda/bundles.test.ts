import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { bundleText, LAMBDAS, ROOT } from '../../scripts/bundle-lambdas.mjs';

describe('prebundled Lambda handlers', () => {
  it.each(LAMBDAS as string[])('assets/%s/index.js is the current bundle of its sources in lib/lambda/', async (name) => {
    // GIVEN the committed bundle
    const committed = fs.readFileSync(path.join(ROOT as string, 'assets', name, 'index.js'), 'utf8');
    // WHEN the handler is bundled again from its sources
    const fresh = (await bundleText(name)) as string;
    // THEN they are identical: otherwise run `npm run build:lambdas` and commit assets/
    expect(committed === fresh, `assets/${name}/index.js is stale: run npm run build:lambdas and commit it`).toBe(true);
  });

  it('ships a handler that needs nothing but the Lambda runtime (Node.js built-ins and the AWS SDK v3)', () => {
    for (const name of LAMBDAS as string[]) {
      // GIVEN the bundle's requires
      const text = fs.readFileSync(path.join(ROOT as string, 'assets', name, 'index.js'), 'utf8');
      const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      // THEN each is a built-in or an SDK v3 package, and it exports the handler named in the construct
      const builtins = new Set(builtinModules);
      expect(required.filter((r) => !builtins.has(r.replace(/^node:/, '')) && !r.startsWith('@aws-sdk/'))).toEqual([]);
      expect(text).toMatch(/handler: \(\) => handler/);
    }
  });
});
