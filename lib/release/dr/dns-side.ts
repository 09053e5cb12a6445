import type { DrSide } from './ports';

/**
 * The side whose addresses `addresses` share, `unknown` when both, neither, or nothing resolved. Route 53 answers an
 * alias with a subset of the load balancer's addresses, so the sides are told apart by overlap, not equality.
 */
export function sideOf(addresses: readonly string[], primary: readonly string[], standby: readonly string[]): DrSide | 'unknown' {
  const inPrimary = addresses.some((a) => primary.includes(a));
  const inStandby = addresses.some((a) => standby.includes(a));
  if (inPrimary === inStandby) return 'unknown';
  return inPrimary ? 'primary' : 'standby';
}
