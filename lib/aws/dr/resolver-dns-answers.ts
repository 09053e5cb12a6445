import { DisasterRecoveryDescriptor, regionalRecordName } from '../../contract';
import { sideOf } from '../../release/dr/dns-side';
import { DnsAnswers, DrSide } from '../../release/dr/ports';
import { DnsResolve, dnsResolve } from './dns-resolve';

export { sideOf } from '../../release/dr/dns-side';

/** The names compared: the failover record and the two Regions' own records. */
export interface DrRecordNames {
  /** The failover record (PRIMARY and SECONDARY). */
  readonly record: string;
  /** `<primary region>.<record>`. */
  readonly primary: string;
  /** `<standby region>.<record>`. */
  readonly standby: string;
}

/** The names of a DR pair's records, from either Region's `disasterRecovery` section. */
export function drRecordNames(dr: DisasterRecoveryDescriptor): DrRecordNames {
  return {
    record: dr.recordName,
    primary: regionalRecordName(dr.primaryRegion, dr.recordName),
    standby: regionalRecordName(dr.standbyRegion, dr.recordName),
  };
}

/**
 * Which side Route 53 answers with, seen as a client sees it: the failover record and both Region records resolved
 * afresh, and the record's addresses compared with each Region's (its load balancer's). Route 53 answers an alias
 * with a subset of the load balancer's addresses, so the sides are told apart by overlap, not equality.
 */
export class ResolverDnsAnswers implements DnsAnswers {
  /** The answers for `dr`'s records, through `resolve` (default: DNS, see `dnsResolve`). */
  public static fromDescriptor(dr: DisasterRecoveryDescriptor, resolve: DnsResolve = dnsResolve()): ResolverDnsAnswers {
    return new ResolverDnsAnswers(drRecordNames(dr), resolve);
  }

  constructor(
    private readonly names: DrRecordNames,
    private readonly resolve: DnsResolve,
  ) {}

  /** Three lookups made together; `unknown` when the record does not resolve or matches both or neither side. */
  public async answering(): Promise<DrSide | 'unknown'> {
    const [record, primary, standby] = await Promise.all(
      [this.names.record, this.names.primary, this.names.standby].map((name) => this.resolve(name).catch(() => [] as string[])),
    );
    return sideOf(record, primary, standby);
  }
}
