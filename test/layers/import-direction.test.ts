import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

/** The layer messages `npm run lint` gives for one import line placed in `file`. */
async function layerErrors(file: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, { filePath: file });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/** The same for a dynamic `import()`, which the CLI uses to load adapters lazily. */
async function dynamicLayerErrors(file: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`export const load = () => import('${from}');\n`, { filePath: file });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('npm run lint enforces the direction of imports (docs/ARCHITECTURE.md, "Layers")', () => {
  it.each([
    ['the contract', 'lib/contract/x.ts', '../release'],
    ['the contract', 'lib/contract/x.ts', 'aws-cdk-lib/aws-ec2'],
    ['the contract', 'lib/contract/x.ts', 'constructs'],
    ['the engine', 'lib/release/x.ts', '../aws'],
    ['the engine', 'lib/release/private/x.ts', '../../cli/main'],
    ['the engine', 'lib/release/x.ts', '@aws-sdk/client-ssm'],
    ['the engine', 'lib/release/x.ts', '../../constructs'],
    ['construct code', 'constructs/fleet/x.ts', '../../lib/release'],
    ['construct code', 'constructs/fleet/x.ts', '../../lib/aws/clients'],
    ['construct code', 'constructs/release/x.ts', '../../lib/lambda/auto-rollback'],
    ['construct code', 'constructs/fleet/x.ts', '@aws-sdk/client-elastic-load-balancing-v2'],
    ['the adapters', 'lib/aws/x.ts', '../cli'],
    ['the adapters', 'lib/aws/x.ts', '../../constructs/fleet/colour'],
    ['the adapters', 'lib/aws/x.ts', 'aws-cdk-lib'],
    ['a Lambda entry point', 'lib/lambda/auto-rollback/x.ts', '../../cli/main'],
    ['a Lambda entry point', 'lib/lambda/auto-rollback/x.ts', '../../../constructs/release/auto-rollback'],
    ['the CLI', 'lib/cli/x.ts', '../../constructs/fleet/release-manifest'],
    ['the CLI', 'lib/cli/x.ts', '../lambda/auto-rollback'],
    ['an app', 'lib/reference-app.ts', './release'],
    ['an app', 'examples/shop/app.ts', '../../lib/aws'],
  ])('refuses %s (%s) importing %s', async (_, file, from) => {
    expect(await layerErrors(file, from)).toEqual([expect.stringMatching(/imports run one way|imports only lib\/contract|imports nothing outside itself|no (aws-cdk-lib|constructs|@aws-sdk) in this layer|apps use the construct library/)]);
  });

  it.each([
    ['lib/cli/x.ts', '../../constructs/fleet/colour'],
    ['lib/release/x.ts', '../aws/clients'],
    ['constructs/fleet/x.ts', '../../lib/lambda/auto-rollback'],
  ])('refuses %s loading %s with a dynamic import()', async (file, from) => {
    expect(await dynamicLayerErrors(file, from)).toEqual([expect.stringMatching(/imports run one way|imports only lib\/contract/)]);
  });

  it('allows the CLI to load an adapter with a dynamic import()', async () => {
    expect(await dynamicLayerErrors('lib/cli/x.ts', '../aws/elb-traffic-router')).toEqual([]);
  });

  it.each([
    ['constructs/health/x.ts', '../fleet/private/validate'],
    ['lib/cli/x.ts', '../release/private/run'],
    ['lib/lambda/auto-rollback/x.ts', '../../aws/private/weighted-rule'],
  ])("refuses %s importing another folder's private/ (%s)", async (file, from) => {
    expect(await layerErrors(file, from)).toEqual([expect.stringMatching(/another folder's private\//)]);
  });

  it.each([
    ['lib/release/x.ts', '../contract'],
    ['lib/release/private/x.ts', '../ports'],
    ['constructs/fleet/x.ts', '../../lib/contract'],
    ['constructs/health/private/x.ts', '../../private/validate'],
    ['constructs/fleet/private/x.ts', '../blue-green-service'],
    ['lib/aws/x.ts', '../release'],
    ['lib/aws/x.ts', './private/weighted-rule'],
    ['lib/lambda/release-guard/x.ts', '../../aws/elb-traffic-router'],
    ['lib/cli/x.ts', '../aws'],
    ['lib/reference-app.ts', '../constructs'],
    ['bin/app.ts', '../lib/reference-app'],
  ])('allows %s to import %s', async (file, from) => {
    expect(await layerErrors(file, from)).toEqual([]);
  });
});
