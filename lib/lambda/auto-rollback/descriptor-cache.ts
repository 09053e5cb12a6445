import { ServiceDescriptor } from '../../contract';
import { AwsClients } from '../../aws';
import { loadDescriptor } from '../../aws';

/** How long a warm function reads with a kept descriptor before loading it again. */
export const DESCRIPTOR_MAX_AGE_MS = 5 * 60_000;

/**
 * The service descriptor, kept between invocations of a warm function so that a reconcile tick which only reads
 * (the weights of an ended release, say) costs no SSM call.
 *
 * Only reads use a kept copy; whatever changes the service loads it afresh. A stale copy cannot mislead a read
 * quietly: a replaced rule or target group makes the read throw, the caller forgets the copy, and Lambda's retry
 * loads it again.
 */
export class DescriptorCache {
  private kept?: { readonly descriptor: ServiceDescriptor; readonly loadedAt: number };

  constructor(
    /** The service whose descriptor this keeps. */
    public readonly serviceName: string,
    private readonly maxAgeMs: number = DESCRIPTOR_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The descriptor: the kept copy while younger than `maxAgeMs`, else loaded (one GetParameter call).
   *
   * @param fresh load it even when a copy is kept: for anything that changes the service
   */
  public async get(clients: AwsClients, fresh = false): Promise<ServiceDescriptor> {
    const kept = this.kept;
    if (!fresh && kept && this.now() - kept.loadedAt < this.maxAgeMs) return kept.descriptor;
    const descriptor = await loadDescriptor(this.serviceName, clients);
    this.kept = { descriptor, loadedAt: this.now() };
    return descriptor;
  }

  /** Drop the kept copy, so the next `get` loads it. */
  public forget(): void {
    this.kept = undefined;
  }
}
