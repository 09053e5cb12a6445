import * as fs from 'fs';
import { CapacityMode } from './capacity-mode';
import { Colour } from './colour';
import { CapacityModeName, ManifestColourEntry, manifestJson, parseManifestDocument } from '../../lib/contract';


/**
 * What one colour runs, as declared by the release manifest.
 */
export interface ColourRelease {
  /** Image reference: `ami-...`, `ssm:<parameter>`, or a form a resolver accepts (e.g. `baked:<name>`). */
  readonly image: string;
  /** Capacity the colour runs. */
  readonly mode: CapacityMode;
}

/**
 * The checked-in file that says which image each colour runs and how much capacity it has.
 *
 * A release changes only the idle colour's entry; the `bluegreen` CLI keeps the file in step with AWS.
 *
 * @example
 * {
 *   "schemaVersion": 1,
 *   "service": "web",
 *   "blue": { "image": "ami-0123456789abcdef0", "mode": "active" },
 *   "green": { "image": "ami-0fedcba9876543210", "mode": "ready" }
 * }
 */
export class ReleaseManifest {
  /**
   * Read and validate a manifest file.
   *
   * @throws with the file name, the key and the fix when the file is malformed
   */
  public static fromFile(path: string): ReleaseManifest {
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`release manifest ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code}). Create it or fix the path.`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new Error(`release manifest ${path}: not valid JSON (${(e as Error).message}).`);
    }
    return ReleaseManifest.fromObject(data, path);
  }

  /**
   * Validate a parsed manifest.
   *
   * @param source names the manifest in error messages
   */
  public static fromObject(data: unknown, source?: string): ReleaseManifest {
    const where = source === undefined || source === 'release manifest' ? 'release manifest' : `release manifest ${source}`;
    const doc = parseManifestDocument(data, where);
    const entry = (e: ManifestColourEntry): ColourRelease => ({ image: e.image, mode: CapacityMode.fromName(e.mode) });
    return new ReleaseManifest(doc.service, entry(doc.blue), entry(doc.green), where);
  }

  private constructor(
    /** The service the manifest belongs to. */
    public readonly service: string,
    /** What blue runs. */
    public readonly blue: ColourRelease,
    /** What green runs. */
    public readonly green: ColourRelease,
    /** Where the manifest came from, for error messages: `release manifest <file>`. */
    public readonly location: string,
  ) {}

  /** What `colour` runs. */
  public colour(colour: Colour): ColourRelease {
    return colour === Colour.BLUE ? this.blue : this.green;
  }

  /** A copy with one colour's entry replaced; the other colour is untouched. */
  public withColour(colour: Colour, release: ColourRelease): ReleaseManifest {
    return colour === Colour.BLUE
      ? new ReleaseManifest(this.service, release, this.green, this.location)
      : new ReleaseManifest(this.service, this.blue, release, this.location);
  }

  /** The file form, with stable key order so diffs stay small. */
  public toJson(): string {
    const entry = (r: ColourRelease): ManifestColourEntry => ({ image: r.image, mode: r.mode.name as CapacityModeName });
    return manifestJson({ service: this.service, blue: entry(this.blue), green: entry(this.green) });
  }
}
