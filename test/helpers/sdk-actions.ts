import * as fs from 'fs';
import * as path from 'path';

/**
 * AWS actions the CLI and its adapters call, read from their SDK command imports. Without `dr`, the adapters of
 * `bluegreen dr` (lib/aws/dr, granted by `RegionalFailover.grantDisasterRecovery`) are left out.
 */
export function actionsTheCliCalls(options: { readonly dr?: boolean } = {}): Set<string> {
  const prefix: Record<string, string> = {
    'client-elastic-load-balancing-v2': 'elasticloadbalancing',
    'client-auto-scaling': 'autoscaling',
    'client-cloudwatch': 'cloudwatch',
    'client-dynamodb': 'dynamodb',
    'client-ec2': 'ec2',
    'client-route-53': 'route53',
    'client-ssm': 'ssm',
  };
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const actions = new Set<string>();
  const inScope = (file: string) => options.dr || !file.startsWith(path.join('lib', 'aws', 'dr'));
  for (const file of [...files('lib/aws'), ...files('lib/cli')].filter(inScope)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import (?:type )?\{([^}]*)\} from '@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      for (const name of m[1].split(',').map((n) => n.trim())) {
        const command = /^(\w+)Command$/.exec(name);
        if (command && prefix[m[2]]) actions.add(`${prefix[m[2]]}:${command[1]}`);
      }
    }
  }
  return actions;
}

