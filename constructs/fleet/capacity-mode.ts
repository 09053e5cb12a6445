/**
 * How much capacity a colour runs, independent of how much traffic it gets.
 */
export class CapacityMode {
  /** Serving-size capacity; the colour holds (or is about to hold) live traffic. */
  public static readonly ACTIVE = new CapacityMode('active', true);
  /** Serving-size capacity at 0 % traffic: warmed for a release, or kept warm for an instant rollback. */
  public static readonly READY = new CapacityMode('ready', true);
  /** Scaled to zero instances. */
  public static readonly STANDBY = new CapacityMode('standby', false);

  /** Every mode. */
  public static all(): CapacityMode[] {
    return [CapacityMode.ACTIVE, CapacityMode.READY, CapacityMode.STANDBY];
  }

  /**
   * The mode with the given name.
   *
   * @throws if the name is not `active`, `ready` or `standby`
   */
  public static fromName(name: string, where = 'mode'): CapacityMode {
    const found = CapacityMode.all().find((m) => m.name === name);
    if (!found) {
      throw new Error(`${where}: unknown capacity mode '${name}'. Use 'active', 'ready' or 'standby'.`);
    }
    return found;
  }

  private constructor(
    /** Name used in the release manifest and the descriptor. */
    public readonly name: string,
    /** Whether the colour runs serving-size capacity in this mode. */
    public readonly serving: boolean,
  ) {}

  public toString(): string {
    return this.name;
  }
}
