import * as fs from 'fs';
import { CapacityMode } from './capacity-mode';
import { Colour } from './colour';

/** Version of the release-manifest file format this library reads and writes. */
export const RELEASE_MANIFEST_SCHEMA_VERSION = 1;

const TOP_LEVEL_KEYS = ['schemaVersion', 'service', 'blue', 'green'];
const COLOUR_KEYS = ['image', 'mode'];

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
  public static fromObject(data: unknown, source = 'release manifest'): ReleaseManifest {
    const where = source === 'release manifest' ? source : `release manifest ${source}`;
    const root = asObject(data, where);
    rejectUnknownKeys(root, TOP_LEVEL_KEYS, where, (k) =>
      isColourEntry(root[k]) ? `unknown colour '${k}'. Use 'blue' or 'green'.` : undefined,
    );
    if (root.schemaVersion !== RELEASE_MANIFEST_SCHEMA_VERSION) {
      throw new Error(`${where}: schemaVersion must be ${RELEASE_MANIFEST_SCHEMA_VERSION}, got ${JSON.stringify(root.schemaVersion)}.`);
    }
    if (typeof root.service !== 'string' || root.service.length === 0) {
      throw new Error(`${where}: 'service' must be the service name (a non-empty string), got ${JSON.stringify(root.service)}.`);
    }
    const blue = parseColour(root, Colour.BLUE, where);
    const green = parseColour(root, Colour.GREEN, where);
    return new ReleaseManifest(root.service, blue, green, where);
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
    const entry = (r: ColourRelease) => ({ image: r.image, mode: r.mode.name });
    const body = { schemaVersion: RELEASE_MANIFEST_SCHEMA_VERSION, service: this.service, blue: entry(this.blue), green: entry(this.green) };
    return JSON.stringify(body, undefined, 2) + '\n';
  }
}

function parseColour(root: Record<string, unknown>, colour: Colour, where: string): ColourRelease {
  const at = `${where}: ${colour.name}`;
  if (root[colour.name] === undefined) {
    throw new Error(`${where}: missing colour '${colour.name}'. Add "${colour.name}": { "image": "ami-...", "mode": "standby" }.`);
  }
  const entry = asObject(root[colour.name], at);
  rejectUnknownKeys(entry, COLOUR_KEYS, at);
  if (typeof entry.image !== 'string' || entry.image.length === 0) {
    throw new Error(`${at}.image must be an image reference such as "ami-0123456789abcdef0", got ${JSON.stringify(entry.image)}.`);
  }
  if (typeof entry.mode !== 'string') {
    throw new Error(`${at}.mode must be one of "active", "ready", "standby", got ${JSON.stringify(entry.mode)}.`);
  }
  return { image: entry.image, mode: CapacityMode.fromName(entry.mode, `${at}.mode`) };
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a JSON object, got ${JSON.stringify(value)}.`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknownKeys(obj: Record<string, unknown>, allowed: string[], where: string, explain?: (k: string) => string | undefined) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const reason = explain?.(key) ?? `unknown key '${key}'. Allowed keys: ${allowed.join(', ')}.`;
      throw new Error(`${where}: ${reason}`);
    }
  }
}

/** Whether a value looks like a colour entry (an object with an image or a mode), for a better message. */
function isColourEntry(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('image' in value || 'mode' in value);
}
