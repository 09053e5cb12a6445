import * as fs from 'fs';
import * as path from 'path';

/**
 * AWS actions the CLI and its adapters call, read from their SDK command imports. Without `dr`, the adapters of
 * `bluegreen dr` (lib/aws/dr, granted by `RegionalFailover.grantDisasterRecovery`) are left out. Without
 * `quarantine`, so are the quarantine function's adapters (lib/aws/quarantine, granted to its own role: see
 * `actionsOfBundle('quarantine')`); the `bluegreen quarantine` commands call only the record (GetItem, PutItem),
 * TerminateInstanceInAutoScalingGroup, CreateTags and DescribeInstances through them.
 */
/**
 * Every AWS action the `bluegreen quarantine` commands may call, through lib/aws/quarantine (which
 * `actionsTheCliCalls` leaves out): the descriptor, the record, the instance's state, terminating it and its expiry
 * tag. test/integration/quarantine-cli.test.ts checks the commands call nothing else; test/fleet/grants.test.ts that
 * `grantRelease` grants them all.
 */
export const QUARANTINE_CLI_ACTIONS: ReadonlySet<string> = new Set([
  'ssm:GetParameter',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'ec2:DescribeInstances',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'ec2:CreateTags',
]);

/**
 * Without `featureFlags`, the adapters of `bluegreen flags` (lib/aws/feature-flags) are left out: `grantRelease` grants
 * them only to a service with `FeatureFlags` (test/flags/grants.test.ts checks that case with `featureFlags: true`).
 */
export function actionsTheCliCalls(
  options: { readonly dr?: boolean; readonly quarantine?: boolean; readonly hooks?: boolean; readonly featureFlags?: boolean } = {},
): Set<string> {
  const prefix: Record<string, string> = {
    'client-elastic-load-balancing-v2': 'elasticloadbalancing',
    'client-appconfig': 'appconfig',
    'client-auto-scaling': 'autoscaling',
    'client-cloudwatch': 'cloudwatch',
    'client-dynamodb': 'dynamodb',
    'client-ec2': 'ec2',
    'client-lambda': 'lambda',
    'client-route-53': 'route53',
    'client-ssm': 'ssm',
  };
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const actions = new Set<string>();
  const inScope = (file: string) =>
    (options.dr || !file.startsWith(path.join('lib', 'aws', 'dr'))) && (options.quarantine || !file.startsWith(path.join('lib', 'aws', 'quarantine'))) &&
    (options.hooks !== false || !file.startsWith(path.join('lib', 'aws', 'hooks'))) &&
    (options.featureFlags || !file.startsWith(path.join('lib', 'aws', 'feature-flags')));
  for (const file of [...files('lib/aws'), ...files('lib/cli')].filter(inScope)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import (?:type )?\{([^}]*)\} from '@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      for (const name of m[1].split(',').map((n) => n.trim())) {
        const command = /^(\w+)Command$/.exec(name);
        if (command && prefix[m[2]]) actions.add(iamActionOf(`${prefix[m[2]]}:${command[1]}`));
      }
    }
  }
  return actions;
}


/**
 * IAM actions whose name is not the SDK command's: Lambda's `InvokeCommand` (API operation `Invoke`) is authorised
 * as `lambda:InvokeFunction`.
 */
const IAM_ACTION_OF_OPERATION: Readonly<Record<string, string>> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
};

/** The IAM action of an SDK operation, `service:Operation`. */
export function iamActionOf(operation: string): string {
  return IAM_ACTION_OF_OPERATION[operation] ?? operation;
}

/** IAM prefixes of the SDK clients, by the name esbuild gives a client's import (`import_client_<name>`). */
const BUNDLE_PREFIXES: Readonly<Record<string, string>> = {
  auto_scaling: 'autoscaling',
  cloudwatch: 'cloudwatch',
  dynamodb: 'dynamodb',
  ec2: 'ec2',
  elastic_load_balancing_v2: 'elasticloadbalancing',
  lambda: 'lambda',
  route_53: 'route53',
  s3: 's3',
  sns: 'sns',
  ssm: 'ssm',
};

/**
 * AWS actions a shipped Lambda bundle (assets/<name>/index.js) can send: the SDK commands it references. esbuild
 * names each client import `import_client_<name>` and numbers repeats (`import_client_cloudwatch3`): the client is
 * the longest known name the import starts with.
 */
export function actionsOfBundle(name: string): Set<string> {
  const bundle = fs.readFileSync(path.join(__dirname, '..', '..', 'assets', name, 'index.js'), 'utf8');
  const service = (id: string) => BUNDLE_PREFIXES[Object.keys(BUNDLE_PREFIXES).filter((k) => id.startsWith(k)).sort((a, b) => b.length - a.length)[0]] ?? id;
  return new Set([...bundle.matchAll(/import_client_([a-z0-9_]+)\.(\w+)Command\b/g)].map((m) => iamActionOf(`${service(m[1])}:${m[2]}`)));
}
