import { ColourName } from '../../contract';
import { DrRecord, DrRecordCopy, RegionService, ReleaseActivity, VersionedDrRecord } from '../../release/dr/ports';
import { CapacityState, Clock, TargetHealthCount, Weights } from '../../release/ports';
import { AwsClients } from '../clients';
import { loadDescriptor } from '../descriptor';
import { SystemClock } from '../system-clock';
import { AwsRegionService } from './aws-region-service';

/**
 * A Region's service whose descriptor is read from that Region's SSM on first use: the primary's, which may be down.
 *
 * Nothing is called when it is created, and every call fails as fast as the Region's clients give up (their
 * timeouts and attempts: build the primary's clients with short ones). A failed load is not kept, so the next call
 * tries the Region again; a successful one is.
 */
export class LazyRegionService implements RegionService {
  public readonly record: DrRecordCopy;
  private loading?: Promise<AwsRegionService>;

  constructor(
    /** The Region, known before its descriptor is. */
    public readonly region: string,
    private readonly service: string,
    private readonly clients: AwsClients,
    private readonly clock: Clock = new SystemClock(),
  ) {
    this.record = {
      read: async (): Promise<VersionedDrRecord | undefined> => (await this.loaded()).record.read(),
      write: async (record: DrRecord, expectedVersion: number | undefined): Promise<number> => (await this.loaded()).record.write(record, expectedVersion),
    };
  }

  public async weights(): Promise<Weights> {
    return (await this.loaded()).weights();
  }

  public async image(colour: ColourName): Promise<string> {
    return (await this.loaded()).image(colour);
  }

  public async capacity(colour: ColourName): Promise<CapacityState> {
    return (await this.loaded()).capacity(colour);
  }

  public async scaleTo(colour: ColourName, desired: number): Promise<void> {
    return (await this.loaded()).scaleTo(colour, desired);
  }

  public async restoreDeployedCapacity(colour: ColourName): Promise<void> {
    return (await this.loaded()).restoreDeployedCapacity(colour);
  }

  public async health(colour: ColourName): Promise<TargetHealthCount> {
    return (await this.loaded()).health(colour);
  }

  public async firingAlarms(colour: ColourName): Promise<string[]> {
    return (await this.loaded()).firingAlarms(colour);
  }

  public async releaseActivity(): Promise<ReleaseActivity> {
    return (await this.loaded()).releaseActivity();
  }

  /** The loaded service: one GetParameter call the first time (calls made meanwhile share it). */
  private loaded(): Promise<AwsRegionService> {
    this.loading ??= this.load().catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  private async load(): Promise<AwsRegionService> {
    const descriptor = await loadDescriptor(this.service, this.clients);
    if (descriptor.region !== this.region) {
      throw new Error(
        `The descriptor of ${this.service} read for ${this.region} says its Region is ${descriptor.region}: ` +
          `the clients for ${this.region} reach another Region. Check the profile's and --region settings.`,
      );
    }
    return AwsRegionService.fromClients(descriptor, this.clients, this.clock);
  }
}
