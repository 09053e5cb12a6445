import { CapacityModeName, CAPACITY_MODE_NAMES, ColourName, COLOUR_NAMES, isCapacityModeName } from './colours';

/** Version of the release-manifest file format this library reads and writes. */
export const RELEASE_MANIFEST_SCHEMA_VERSION = 1;

const TOP_LEVEL_KEYS = ['schemaVersion', 'service', 'blue', 'green'];
const COLOUR_KEYS = ['image', 'mode'];

/** What one colour runs, as the manifest file says it. */
export interface ManifestColourEntry {
  /** Image reference: `ami-...`, `ssm:<parameter>`, or a form a resolver accepts (e.g. `baked:<name>`). */
  readonly image: string;
  /** Capacity mode. */
  readonly mode: CapacityModeName;
}

/** The content of `releases/<service>.json`, validated. */
export interface ManifestDocument {
  /** The service the manifest belongs to. */
  readonly service: string;
  /** What blue runs. */
  readonly blue: ManifestColourEntry;
  /** What green runs. */
  readonly green: ManifestColourEntry;
}

/**
 * Validate a parsed manifest.
 *
 * @param where names the manifest in error messages (`release manifest <file>`)
 * @throws Error naming the key, the value and the fix
 */
export function parseManifestDocument(data: unknown, where: string): ManifestDocument {
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
  const [blue, green] = COLOUR_NAMES.map((c) => parseColour(root, c, where));
  return { service: root.service, blue, green };
}

/** A copy of `doc` with one colour's entry replaced. */
export function withManifestColour(doc: ManifestDocument, colour: ColourName, entry: ManifestColourEntry): ManifestDocument {
  return colour === 'blue' ? { ...doc, blue: entry } : { ...doc, green: entry };
}

/** The file form, with stable key order so diffs stay small. */
export function manifestJson(doc: ManifestDocument): string {
  const entry = (e: ManifestColourEntry) => ({ image: e.image, mode: e.mode });
  const body = { schemaVersion: RELEASE_MANIFEST_SCHEMA_VERSION, service: doc.service, blue: entry(doc.blue), green: entry(doc.green) };
  return JSON.stringify(body, undefined, 2) + '\n';
}

function parseColour(root: Record<string, unknown>, colour: ColourName, where: string): ManifestColourEntry {
  const at = `${where}: ${colour}`;
  if (root[colour] === undefined) {
    throw new Error(`${where}: missing colour '${colour}'. Add "${colour}": { "image": "ami-...", "mode": "standby" }.`);
  }
  const entry = asObject(root[colour], at);
  rejectUnknownKeys(entry, COLOUR_KEYS, at);
  if (typeof entry.image !== 'string' || entry.image.length === 0) {
    throw new Error(`${at}.image must be an image reference such as "ami-0123456789abcdef0", got ${JSON.stringify(entry.image)}.`);
  }
  if (typeof entry.mode !== 'string') {
    throw new Error(`${at}.mode must be one of "active", "ready", "standby", got ${JSON.stringify(entry.mode)}.`);
  }
  if (!isCapacityModeName(entry.mode)) {
    throw new Error(`${at}.mode: unknown capacity mode '${entry.mode}'. Use ${CAPACITY_MODE_NAMES.map((m) => `'${m}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}.`);
  }
  return { image: entry.image, mode: entry.mode };
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
