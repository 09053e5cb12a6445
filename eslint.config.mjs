import tseslint from 'typescript-eslint';

// Imports run one way (docs/ARCHITECTURE.md, "Layers"): the shared contract at the bottom, then the release engine
// and the construct code, then the AWS adapters, then the Lambda entry points, the CLI and the apps. A lower layer
// never imports a higher one, and a folder's private/ is imported only from inside that folder. Paths are relative
// imports, so each rule matches folder names in the import string.
const folder = (names) => `^\\.{1,2}/(.*/)?(${names})(/|$)`;
const outside = (names) => ({ regex: folder(names), message: 'imports run one way: see docs/ARCHITECTURE.md, "Layers"' });
const pkg = (...names) => names.map((name) => ({ regex: `^${name}(/|$)`, message: `no ${name} in this layer: see docs/ARCHITECTURE.md, "Layers"` }));
const privateOfAnother = {
  regex: '(^|/)[^./][^/]*/private(/|$)',
  message: "another folder's private/: import it only from inside that folder, or move what you need up a level",
};

/** The same rule for `await import('...')`. */
function dynamicImport({ regex, message }) {
  return { selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message };
}

const layers = [
  // The contract: pure names, schemas and rules. Nothing of ours but itself, no CDK, no SDK.
  { files: ['lib/contract/**/*.ts'], patterns: [{ regex: '^\\.\\./', message: 'lib/contract imports nothing outside itself' }, ...pkg('aws-cdk-lib', 'constructs', '@aws-sdk')] },
  // The release engine: pure logic behind ports.
  { files: ['lib/release/**/*.ts'], patterns: [outside('aws|cli|lambda|constructs|bin'), ...pkg('aws-cdk-lib', 'constructs', '@aws-sdk')] },
  // The construct library: the contract and itself; the Lambdas ship prebundled, never imported.
  { files: ['constructs/**/*.ts'], patterns: [{ regex: '(^|/)lib/(?!contract(/|$))', message: 'constructs/ imports only lib/contract of lib/: see docs/ARCHITECTURE.md, "Layers"' }, outside('bin'), ...pkg('@aws-sdk')] },
  // The AWS adapters: contract and engine.
  { files: ['lib/aws/**/*.ts'], patterns: [outside('cli|lambda|constructs|bin'), ...pkg('aws-cdk-lib', 'constructs')] },
  // Lambda entry points: contract, engine, adapters.
  { files: ['lib/lambda/**/*.ts'], patterns: [outside('cli|constructs|bin'), ...pkg('aws-cdk-lib', 'constructs')] },
  // The CLI: contract, engine, adapters.
  { files: ['lib/cli/**/*.ts', 'bin/bluegreen.ts'], patterns: [outside('lambda|constructs'), ...pkg('aws-cdk-lib', 'constructs')] },
  // The apps: the public constructs (and the contract); never the engine, adapters, CLI or Lambda code.
  { files: ['lib/*.ts', 'bin/app.ts', 'examples/**/*.ts'], patterns: [{ regex: '(^|/)lib/(release|aws|cli|lambda)(/|$)|^\\./(release|aws|cli|lambda)(/|$)', message: 'apps use the construct library, not the engine: see docs/ARCHITECTURE.md, "Layers"' }] },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', 'assets/**', 'test/consumer/app/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-imports': ['error', { patterns: [privateOfAnother] }],
    },
  },
  ...layers.map(({ files, patterns }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: [privateOfAnother, ...patterns] }],
      // no-restricted-imports does not look at `import()`, which the CLI uses to load adapters lazily.
      'no-restricted-syntax': ['error', ...[privateOfAnother, ...patterns].map(dynamicImport)],
    },
  })),
);
