import * as fs from 'fs';
import * as path from 'path';
import { ManifestDocument, parseManifestDocument } from '../contract';
import { UsageError } from '../release';

/** Where the release manifest of a command lives. */
export interface ManifestLocation {
  /** Absolute path. */
  readonly path: string;
  /** As the user sees it: relative to the working directory when inside it. */
  readonly shown: string;
  /** Whether `--manifest` named it (a missing file is then a typo, not a choice). */
  readonly explicit: boolean;
}

/** A manifest read from disk. */
export interface LoadedManifest {
  readonly manifest: ManifestDocument;
  /** The bytes read, to write only when something changed. */
  readonly text: string;
}

/** `--manifest`, else `releases/<service>.json`, relative to `cwd`. */
export function locateManifest(flag: string | undefined, service: string, cwd: string): ManifestLocation {
  const absolute = path.resolve(cwd, flag ?? path.join('releases', `${service}.json`));
  const relative = path.relative(cwd, absolute);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  return { path: absolute, shown, explicit: flag !== undefined };
}

/**
 * Read and validate the manifest of `service`.
 *
 * @returns undefined when the file does not exist
 * @throws UsageError when it is malformed or belongs to another service
 */
export function readManifest(location: ManifestLocation, service: string): LoadedManifest | undefined {
  if (!fs.existsSync(location.path)) return undefined;
  const where = `release manifest ${location.shown}`;
  let text: string;
  let manifest: ManifestDocument;
  try {
    text = readText(location.path, where);
    manifest = parseManifestDocument(parseJson(text, where), where);
  } catch (e) {
    throw new UsageError(`--manifest: ${(e as Error).message}`);
  }
  if (manifest.service !== service) {
    throw new UsageError(
      `--manifest: ${location.shown} is the manifest of service '${manifest.service}', not '${service}'. Pass --manifest releases/${service}.json.`,
    );
  }
  return { manifest, text };
}

function readText(file: string, where: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${where}: cannot read the file (${(e as NodeJS.ErrnoException).code}). Create it or fix the path.`);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message}).`);
  }
}

/** Replace the file in one rename, so a crash never leaves half a manifest. */
export function writeManifest(location: ManifestLocation, text: string): void {
  const temp = `${location.path}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, location.path);
}
