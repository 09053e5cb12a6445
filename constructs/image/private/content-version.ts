import { createHash } from 'crypto';

/**
 * Generation of the versioning scheme. Bump it only if the way versions are derived changes, so that a new scheme
 * can never produce the version an older scheme gave to different content.
 */
const SCHEME = 1;

/** Largest value of a semantic-version node Image Builder accepts is 2^30 - 1; 7 hex digits (2^28 - 1) stay below. */
const NODE_HEX_DIGITS = 7;

/** JSON with object keys sorted, so that equal content always hashes equally. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The sha256 (hex) of the stable JSON of `value`. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

/**
 * A semantic version derived from content: `<scheme>.<28 bits of the hash>.<next 28 bits>`.
 *
 * Image Builder versions are immutable: a changed component or recipe needs a new version. Deriving it from the
 * content means nobody bumps versions, equal content always gets the same version (byte-identical templates), and
 * two different contents collide with probability about 2^-56.
 */
export function contentVersion(value: unknown): string {
  const hash = contentHash(value);
  const minor = parseInt(hash.slice(0, NODE_HEX_DIGITS), 16);
  const patch = parseInt(hash.slice(NODE_HEX_DIGITS, 2 * NODE_HEX_DIGITS), 16);
  return `${SCHEME}.${minor}.${patch}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}
