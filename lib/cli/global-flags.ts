import { REGION } from '../contract';
import { usageError } from '../release';
import type { FlagSpecs, FlagValues, GlobalOptions } from './command';
import { stringFlag } from './flags';

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagSpecs = {
  json: { type: 'boolean', help: 'JSON lines on stdout: one object per event, then a result object (status: one object)' },
  'dry-run': { type: 'boolean', help: 'print what the command would do; change nothing in AWS or in the manifest' },
  region: { type: 'string', example: 'eu-west-1', help: "AWS Region (default: AWS_REGION, then the profile's Region)" },
  profile: { type: 'string', example: 'prod', help: 'AWS named profile (default: AWS_PROFILE, then default)' },
  manifest: { type: 'string', example: 'releases/web.json', help: 'release manifest to keep in step (default: releases/<service>.json)' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

/**
 * The global options of a command line, checked.
 *
 * @throws UsageError naming the flag, the problem and the value
 */
export function parseGlobalFlags(service: string, values: FlagValues): GlobalOptions {
  const region = stringFlag(values, 'region');
  if (region !== undefined && !REGION.test(region)) throw usageError('--region', 'must be a Region name such as eu-west-1.', region);
  return {
    service,
    json: values.json === true,
    dryRun: values['dry-run'] === true,
    region,
    profile: stringFlag(values, 'profile', { nonEmpty: true }),
    manifest: stringFlag(values, 'manifest', { nonEmpty: true }),
  };
}
