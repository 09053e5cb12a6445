/**
 * One of the two slots of a blue/green service.
 *
 * Construct IDs derive from `Colour.id` (`Blue`, `Green`) so they never change when images or versions do.
 */
export class Colour {
  /** The blue slot: live on the first deploy. */
  public static readonly BLUE = new Colour('blue', 'Blue');
  /** The green slot: idle on the first deploy. */
  public static readonly GREEN = new Colour('green', 'Green');

  /** Both colours, blue first. */
  public static all(): Colour[] {
    return [Colour.BLUE, Colour.GREEN];
  }

  /**
   * The colour with the given lower-case name.
   *
   * @throws if the name is neither `blue` nor `green`
   */
  public static fromName(name: string, where = 'colour'): Colour {
    const found = Colour.all().find((c) => c.name === name);
    if (!found) {
      throw new Error(`${where}: unknown colour '${name}'. Use 'blue' or 'green'.`);
    }
    return found;
  }

  private constructor(
    /** Lower-case name used in files, SSM and the CLI: `blue` or `green`. */
    public readonly name: string,
    /** Construct ID of the slot: `Blue` or `Green`. */
    public readonly id: string,
  ) {}

  /** The other colour. */
  public get other(): Colour {
    return this === Colour.BLUE ? Colour.GREEN : Colour.BLUE;
  }

  public toString(): string {
    return this.name;
  }
}
