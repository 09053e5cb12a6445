import * as fs from 'fs';
import { featureFlagExpired, FeatureFlagFileDocument, parseFeatureFlagFile } from '../../lib/contract';

/**
 * One flag as the flags file declares it.
 *
 * The file's `default` is `defaultValue` here: `default` is a reserved word in Java and C#, so jsii refuses it.
 */
export interface FeatureFlagDefinition {
  /** `<kind>-<words>`, e.g. `release-new-checkout`; the kind is release, experiment, ops or permission. */
  readonly name: string;
  /** What turning it on does. */
  readonly description: string;
  /** Who answers for it (a team or a person): who to ask before removing it. */
  readonly owner: string;
  /** When it was added, `YYYY-MM-DD`. */
  readonly created: string;
  /** When it should be gone, `YYYY-MM-DD`: past this date synth warns and `bluegreen flags` lists it as debt. */
  readonly expiry: string;
  /** Its value until a `bluegreen flags set` says otherwise (the file's `"default": "on"`). */
  readonly defaultValue: boolean;
}

/**
 * The checked-in flags file (`flags/<service>.json`): which feature flags a service has, who owns them, when they
 * expire and their defaults. A `cdk deploy` declares them (a new hosted configuration version, never a deployment);
 * only `bluegreen flags set|kill` change what the instances are served.
 *
 * @example
 * {
 *   "schemaVersion": 1,
 *   "service": "web",
 *   "flags": [
 *     { "name": "release-new-checkout", "description": "New checkout flow", "owner": "team-payments",
 *       "created": "2026-11-30", "expiry": "2027-02-15", "default": "off" }
 *   ]
 * }
 */
export class FeatureFlagFile {
  /**
   * Read and validate a flags file.
   *
   * @throws naming the file, and for every problem at once the flag, the key, the value and the fix
   */
  public static fromFile(path: string): FeatureFlagFile {
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`flags file ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code}). Create it or fix the path.`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new Error(`flags file ${path}: not valid JSON (${(e as Error).message}).`);
    }
    return FeatureFlagFile.fromObject(data, path);
  }

  /**
   * Validate a parsed flags file.
   *
   * @param source names the file in error messages
   */
  public static fromObject(data: unknown, source?: string): FeatureFlagFile {
    const where = source === undefined || source === 'flags file' ? 'flags file' : `flags file ${source}`;
    return new FeatureFlagFile(parseFeatureFlagFile(data, where), where);
  }

  /** The service the file belongs to. */
  public readonly service: string;
  /** The declared flags, in file order. */
  public readonly flags: FeatureFlagDefinition[];
  /** Where the file came from, for messages: `flags file <path>`. */
  public readonly location: string;
  private readonly doc: FeatureFlagFileDocument;

  private constructor(doc: FeatureFlagFileDocument, location: string) {
    this.doc = doc;
    this.service = doc.service;
    this.location = location;
    this.flags = doc.flags.map((f) => ({ name: f.name, description: f.description, owner: f.owner, created: f.created, expiry: f.expiry, defaultValue: f.default }));
  }

  /** The flags past their expiry on `now` (from the day after the expiry date, UTC): the debt to remove. */
  public expired(now: Date): FeatureFlagDefinition[] {
    return this.flags.filter((f) => featureFlagExpired(f, now.getTime()));
  }

  /**
   * The validated document, as the contract shapes it.
   *
   * @internal
   */
  public _document(): FeatureFlagFileDocument {
    return this.doc;
  }
}
