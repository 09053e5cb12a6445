/**
 * Feature flags (AWS AppConfig): the names, file format and profile content the constructs, the flag engine
 * (lib/release/feature-flags), the adapters (lib/aws/feature-flags) and the `bluegreen flags` commands share. See
 * docs/ARCHITECTURE.md, "Feature flags".
 *
 * "Feature flag" everywhere in code: lib/cli/flags.ts already means command-line flags.
 *
 * A `cdk deploy` declares which flags exist and their defaults (a new hosted configuration version, never a
 * deployment); only `bluegreen flags set|kill` change what AppConfig serves.
 */

/** Version of the flags file (`flags/<service>.json`) this library reads. */
export const FEATURE_FLAG_FILE_SCHEMA_VERSION = 1;

/**
 * The kinds of flag (Hodgson's toggle categories), the first word of every flag name. The kind sets how long a flag
 * may live: release and experiment flags are short-lived by design, ops (kill switches) and permission flags longer.
 */
export type FeatureFlagKind = 'release' | 'experiment' | 'ops' | 'permission';
export const FEATURE_FLAG_KINDS: readonly FeatureFlagKind[] = ['release', 'experiment', 'ops', 'permission'];

/** The longest a flag of each kind may live, from `created` to `expiry`, in days. */
export const FEATURE_FLAG_MAX_LIFETIME_DAYS: Readonly<Record<FeatureFlagKind, number>> = {
  release: 90,
  experiment: 90,
  ops: 365,
  permission: 365,
};

/**
 * The naming convention: `<kind>-<words>`, lower-case words of letters and digits joined by single hyphens, at most
 * 64 characters. A subset of AppConfig's flag key pattern `^[a-z][a-zA-Z\d_-]{0,63}$`.
 */
export const FEATURE_FLAG_NAME = /^(release|experiment|ops|permission)-[a-z0-9]+(-[a-z0-9]+)*$/;
export const FEATURE_FLAG_NAME_MAX_LENGTH = 64;
/** At most this many flags per service (AppConfig allows more; a flags file this long is debt already). */
export const FEATURE_FLAG_MAX_COUNT = 100;

/** AppConfig names the constructs give the service's resources (fixed, so the agent's URL is a constant). */
export const FEATURE_FLAG_NAMES = {
  /** Environment name (the application is `bluegreen-<service>`). */
  ENVIRONMENT: 'live',
  /** Configuration profile name. */
  PROFILE: 'feature-flags',
} as const;

/** The AppConfig application name of a service. */
export function featureFlagApplicationName(service: string): string {
  return `bluegreen-${service}`;
}

/** The key of the flag-change record in the release-state table (partition key `service`). */
export function featureFlagRecordKey(service: string): string {
  return `${service}#flags`;
}

/** The AppConfig Agent's URL on an instance for one flag (the agent listens on localhost:2772). */
export function featureFlagAgentPath(service: string, flag: string): string {
  return `/applications/${featureFlagApplicationName(service)}/environments/${FEATURE_FLAG_NAMES.ENVIRONMENT}/configurations/${FEATURE_FLAG_NAMES.PROFILE}?flag=${flag}`;
}

/** One flag as the flags file declares it. */
export interface FeatureFlagDeclaration {
  /** `<kind>-<words>`, e.g. `release-new-checkout`. */
  readonly name: string;
  /** What turning it on does. */
  readonly description: string;
  /** Who answers for it (a team or a person): who to ask before removing it. */
  readonly owner: string;
  /** When it was added, `YYYY-MM-DD`. */
  readonly created: string;
  /** When it should be gone, `YYYY-MM-DD`: past this date `bluegreen flags` lists it as debt. */
  readonly expiry: string;
  /** Its value until a `bluegreen flags set` says otherwise. */
  readonly default: boolean;
}

/** The content of `flags/<service>.json`, validated. */
export interface FeatureFlagFileDocument {
  readonly service: string;
  readonly flags: readonly FeatureFlagDeclaration[];
}

/** A flags file that breaks the rules; `problems` lists every one. */
export class InvalidFeatureFlagFileError extends Error {
  constructor(
    /** Names the file, e.g. `flags file flags/web.json`. */
    public readonly where: string,
    public readonly problems: readonly string[],
  ) {
    super(`${where}: ${problems.join('; ')}.`);
    this.name = 'InvalidFeatureFlagFileError';
  }
}

const FILE_KEYS = ['schemaVersion', 'service', 'flags'];
const FLAG_KEYS = ['name', 'description', 'owner', 'created', 'expiry', 'default'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Validate a parsed flags file, reporting every problem at once (each names the flag, the key, the value and the
 * fix). Expiry in the past is not a problem here: a build must not start failing because time passed (the
 * constructs warn, `bluegreen flags` lists it as debt).
 *
 * @param where names the file in messages, e.g. `flags file flags/web.json`
 * @throws InvalidFeatureFlagFileError
 */
export function parseFeatureFlagFile(data: unknown, where: string): FeatureFlagFileDocument {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidFeatureFlagFileError(where, [`must be a JSON object such as { "schemaVersion": 1, "service": "web", "flags": [] }, got ${JSON.stringify(data)}`]);
  }
  const root = data as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(root)) if (!FILE_KEYS.includes(k)) problems.push(`unknown key '${k}'; the keys are ${FILE_KEYS.join(', ')}`);
  if (root.schemaVersion !== FEATURE_FLAG_FILE_SCHEMA_VERSION) problems.push(`schemaVersion must be ${FEATURE_FLAG_FILE_SCHEMA_VERSION}, got ${JSON.stringify(root.schemaVersion)}`);
  if (typeof root.service !== 'string' || root.service === '') problems.push(`'service' must be the service name (a non-empty string), got ${JSON.stringify(root.service)}`);
  if (!Array.isArray(root.flags)) {
    problems.push(`'flags' must be a list of flags ({ "name": "release-new-checkout", "description": ..., "owner": ..., "created": "YYYY-MM-DD", "expiry": "YYYY-MM-DD", "default": "off" }), got ${JSON.stringify(root.flags)}`);
    throw new InvalidFeatureFlagFileError(where, problems);
  }
  if (root.flags.length > FEATURE_FLAG_MAX_COUNT) problems.push(`'flags' lists ${root.flags.length} flags, at most ${FEATURE_FLAG_MAX_COUNT}: remove the ones no code reads`);
  const flags: FeatureFlagDeclaration[] = [];
  const seen = new Set<string>();
  root.flags.forEach((raw, i) => {
    const flag = parseFlag(raw, `flags[${i}]`, problems);
    if (!flag) return;
    if (seen.has(flag.name)) problems.push(`flags[${i}].name '${flag.name}' is declared twice: flag names must be unique`);
    seen.add(flag.name);
    flags.push(flag);
  });
  if (problems.length) throw new InvalidFeatureFlagFileError(where, problems);
  return { service: root.service as string, flags };
}

function parseFlag(raw: unknown, at: string, problems: string[]): FeatureFlagDeclaration | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at} must be an object, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const before = problems.length;
  const label = typeof r.name === 'string' ? `${at} (${r.name})` : at;
  for (const k of Object.keys(r)) if (!FLAG_KEYS.includes(k)) problems.push(`${label}: unknown key '${k}'; a flag has ${FLAG_KEYS.join(', ')}`);
  problems.push(...featureFlagNameProblems(r.name, `${at}.name`));
  if (typeof r.description !== 'string' || r.description.trim() === '' || r.description.length > 1024) {
    problems.push(`${label}.description must say what turning it on does (1 to 1024 characters), got ${JSON.stringify(r.description)}`);
  }
  if (typeof r.owner !== 'string' || r.owner.trim() === '' || r.owner.length > 128) {
    problems.push(`${label}.owner must name who answers for the flag (a team or a person, up to 128 characters), got ${JSON.stringify(r.owner)}`);
  }
  const created = dateProblem(r.created, `${label}.created`, 'when it was added', problems);
  const expiry = dateProblem(r.expiry, `${label}.expiry`, 'when it should be removed', problems);
  if (created !== undefined && expiry !== undefined) {
    if (expiry <= created) problems.push(`${label}.expiry ${r.expiry as string} must be after created ${r.created as string}`);
    const kind = featureFlagKind(String(r.name));
    if (kind) {
      const max = FEATURE_FLAG_MAX_LIFETIME_DAYS[kind];
      const days = Math.round((expiry - created) / 86_400_000);
      if (days > max) {
        const latest = new Date(created + max * 86_400_000).toISOString().slice(0, 10);
        problems.push(`${label}.expiry ${r.expiry as string} is ${days} days after created: a ${kind} flag lives at most ${max} days; set expiry to ${latest} or earlier`);
      }
    }
  }
  if (r.default !== 'on' && r.default !== 'off') problems.push(`${label}.default must be "on" or "off", got ${JSON.stringify(r.default)}`);
  if (problems.length > before) return undefined;
  return {
    name: r.name as string,
    description: r.description as string,
    owner: r.owner as string,
    created: r.created as string,
    expiry: r.expiry as string,
    default: r.default === 'on',
  };
}

/** Why `name` breaks the naming convention (empty when it keeps it). */
export function featureFlagNameProblems(name: unknown, at = 'name'): string[] {
  if (typeof name !== 'string' || name === '') return [`${at} must be a flag name such as "release-new-checkout", got ${JSON.stringify(name)}`];
  if (name.length > FEATURE_FLAG_NAME_MAX_LENGTH) return [`${at} '${name}' is ${name.length} characters, at most ${FEATURE_FLAG_NAME_MAX_LENGTH}`];
  if (!FEATURE_FLAG_NAME.test(name)) {
    return [
      `${at} '${name}' breaks the naming convention <kind>-<words>: kind is one of ${FEATURE_FLAG_KINDS.join(', ')}, then lower-case words of letters and digits joined by single hyphens, e.g. "release-new-checkout"`,
    ];
  }
  return [];
}

/** The kind of a flag, from its name's first word. */
export function featureFlagKind(name: string): FeatureFlagKind | undefined {
  const first = name.split('-')[0];
  return FEATURE_FLAG_KINDS.find((k) => k === first);
}

function dateProblem(value: unknown, at: string, what: string, problems: string[]): number | undefined {
  const ms = typeof value === 'string' && DATE.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    problems.push(`${at} must be ${what} as a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return ms;
}

/** Whether a flag is past its expiry on `now` (epoch ms): from the day after its expiry date, UTC. */
export function featureFlagExpired(flag: Pick<FeatureFlagDeclaration, 'expiry'>, now: number): boolean {
  return now >= Date.parse(`${flag.expiry}T00:00:00Z`) + 86_400_000;
}

/** The flags past expiry on `now`: the debt `bluegreen flags` lists. */
export function featureFlagDebt<T extends Pick<FeatureFlagDeclaration, 'expiry'>>(flags: readonly T[], now: number): T[] {
  return flags.filter((f) => featureFlagExpired(f, now));
}

// --- AppConfig feature-flag profile content (type AWS.AppConfig.FeatureFlags) ---

/** A flag's definition and value, as read back from a hosted configuration version. */
export interface FeatureFlagProfileEntry {
  readonly name: string;
  readonly description: string;
  /** Empty when the version was written without our attributes (e.g. in the console). */
  readonly owner: string;
  /** `YYYY-MM-DD`, empty when unknown. */
  readonly created: string;
  /** `YYYY-MM-DD` (AppConfig's `_deprecation.date`), empty when unknown. */
  readonly expiry: string;
  readonly enabled: boolean;
}

/** A hosted configuration version's flags, in order. */
export interface FeatureFlagProfile {
  readonly flags: readonly FeatureFlagProfileEntry[];
}

/** The profile a flags file declares: every flag at its default. */
export function declaredFeatureFlagProfile(doc: Pick<FeatureFlagFileDocument, 'flags'>): FeatureFlagProfile {
  return { flags: doc.flags.map((f) => ({ name: f.name, description: f.description, owner: f.owner, created: f.created, expiry: f.expiry, enabled: f.default })) };
}

/**
 * The AppConfig feature-flag JSON of a profile. Owner and created travel as flag attributes (the apps see them
 * beside `enabled`, harmlessly); expiry is AppConfig's own `_deprecation` marker. Keys in a stable order so a
 * version's content changes only when a flag does.
 */
export function renderFeatureFlagProfile(profile: FeatureFlagProfile): string {
  const flags: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const f of profile.flags) {
    flags[f.name] = {
      name: f.name,
      description: f.description,
      attributes: { owner: { constraints: { type: 'string' } }, created: { constraints: { type: 'string' } } },
      ...(f.expiry ? { _deprecation: { status: 'planned', date: f.expiry } } : {}),
    };
    values[f.name] = { enabled: f.enabled, owner: f.owner, created: f.created };
  }
  return JSON.stringify({ version: '1', flags, values });
}

/** A hosted version's content is not feature-flag JSON this code understands. */
export class InvalidFeatureFlagProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFeatureFlagProfileError';
  }
}

/**
 * Read a hosted version's content (the inverse of `renderFeatureFlagProfile`; tolerant of versions written
 * elsewhere: missing attributes read as empty, a missing value as off).
 *
 * @throws InvalidFeatureFlagProfileError when it is not AppConfig feature-flag JSON
 */
export function readFeatureFlagProfile(content: string): FeatureFlagProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (e) {
    throw new InvalidFeatureFlagProfileError(`the flags version is not JSON (${(e as Error).message})`);
  }
  const obj = raw as { version?: unknown; flags?: unknown; values?: unknown };
  if (typeof raw !== 'object' || raw === null || obj.version !== '1' || typeof obj.flags !== 'object' || obj.flags === null) {
    throw new InvalidFeatureFlagProfileError('the flags version is not AppConfig feature-flag JSON ({ "version": "1", "flags": {...}, "values": {...} })');
  }
  const defs = obj.flags as Record<string, Record<string, unknown>>;
  const values = (typeof obj.values === 'object' && obj.values !== null ? obj.values : {}) as Record<string, Record<string, unknown> | undefined>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    flags: Object.keys(defs).map((name) => {
      const def = defs[name] ?? {};
      const value = values[name] ?? {};
      const deprecation = (def._deprecation ?? {}) as Record<string, unknown>;
      return {
        name,
        description: str(def.description),
        owner: str(value.owner),
        created: str(value.created),
        expiry: str(deprecation.date),
        enabled: value.enabled === true,
      };
    }),
  };
}

/** A flag a command names is not in the declared profile. */
export class UndeclaredFeatureFlagError extends Error {
  constructor(
    public readonly flag: string,
    public readonly declared: readonly string[],
  ) {
    super(
      `flag '${flag}' is not declared${declared.length ? ` (declared: ${declared.join(', ')})` : ' (no flag is declared)'}: add it to the flags file and cdk deploy first`,
    );
    this.name = 'UndeclaredFeatureFlagError';
  }
}

/**
 * The next version's flags: definitions (and the list of flags) from `declared` (the latest `cdk deploy`), each
 * value from `live` (what AppConfig serves) when the flag is live, else its declared default; then `flag` set to
 * `enabled`. Flags no longer declared are dropped; flags new since the last deployment start at their default.
 *
 * @throws UndeclaredFeatureFlagError when `flag` is not declared
 */
export function nextFeatureFlagProfile(
  declared: FeatureFlagProfile,
  live: FeatureFlagProfile | undefined,
  change: { readonly flag: string; readonly enabled: boolean },
): FeatureFlagProfile {
  if (!declared.flags.some((f) => f.name === change.flag)) throw new UndeclaredFeatureFlagError(change.flag, declared.flags.map((f) => f.name));
  const liveValue = new Map((live?.flags ?? []).map((f) => [f.name, f.enabled]));
  return {
    flags: declared.flags.map((f) => ({
      ...f,
      enabled: f.name === change.flag ? change.enabled : (liveValue.get(f.name) ?? f.enabled),
    })),
  };
}

// --- Descriptor section ---

/** The service's AppConfig resources, as the descriptor's `featureFlags` lists them. It holds no flag values. */
export interface FeatureFlagsDescriptor {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  /** The hosted configuration version the last `cdk deploy` created (a number, as a string): the declared flags. */
  readonly declaredVersion: string;
  /** Strategy of `flags set --gradual` (linear, monitored, baked). */
  readonly gradualStrategyId: string;
  /** Strategy of `flags kill`: all at once, no bake, so it completes at once (a plain `flags set` uses `AppConfig.AllAtOnce`). */
  readonly killStrategyId: string;
  /**
   * The environment's monitor: a composite alarm (either colour's gate in ALARM). `flags kill` disables its actions
   * while the kill deploys, so AppConfig does not roll the kill back because of the incident it answers.
   */
  readonly monitorAlarmName: string;
}

/** Problems of a descriptor's `featureFlags` section (empty when absent or valid). */
export function featureFlagsDescriptorProblems(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'object' || raw === null) return [`featureFlags must be an object, got ${JSON.stringify(raw)}`];
  const r = raw as Record<string, unknown>;
  const keys = ['applicationId', 'environmentId', 'profileId', 'declaredVersion', 'gradualStrategyId', 'killStrategyId', 'monitorAlarmName'];
  return keys.filter((k) => typeof r[k] !== 'string' || r[k] === '').map((k) => `featureFlags.${k} must be a non-empty string, got ${JSON.stringify(r[k])}`);
}

// --- The change record (`<service>#flags` in the release-state table) ---

/** How a flag was changed. */
export type FeatureFlagChangeKind = 'set' | 'gradual' | 'kill';
/** How the change's deployment ended (`deploying` until the command saw it end). */
export type FeatureFlagChangeOutcome = 'deploying' | 'complete' | 'rolled-back' | 'stopped' | 'failed';

/** One flag change, who made it and why. */
export interface FeatureFlagChange {
  /** ISO 8601, when the command started. */
  readonly at: string;
  /** Who: `BLUEGREEN_ACTOR` if set (a pipeline's id), else `<os user>@<host>` (the CLI's `actorId()`). */
  readonly by: string;
  readonly reason: string;
  readonly kind: FeatureFlagChangeKind;
  readonly flag: string;
  readonly enabled: boolean;
  /** The hosted version it deployed. */
  readonly version?: string;
  /** AppConfig's deployment number. */
  readonly deploymentNumber?: number;
  /** A kill: the deployment it stopped first. */
  readonly stoppedDeployment?: number;
  readonly outcome: FeatureFlagChangeOutcome;
  /** ISO 8601, when the outcome was seen. */
  readonly endedAt?: string;
  /** Why it failed or rolled back, at most 300 characters. */
  readonly detail?: string;
}

/** A kill that holds the monitor's actions disabled (one entry per kill in progress). */
export interface FeatureFlagMonitorSuspension {
  /**
   * The kill's nonce (random, one per kill run): two kills by the same person of the same flag in the same
   * millisecond are still two holders. Absent: compared by `by`, `since` and `flag`.
   */
  readonly id?: string;
  /** Who runs the kill. */
  readonly by: string;
  /** ISO 8601, when the kill started (its change's `at`). */
  readonly since: string;
  /** The flag it kills. */
  readonly flag: string;
}

/** The `<service>#flags` item: the latest changes, newest last. */
export interface FeatureFlagRecord {
  readonly changes: readonly FeatureFlagChange[];
  /**
   * The kills that hold the monitor's actions disabled. A kill adds itself before DisableAlarmActions and removes
   * itself at the end, enabling the actions only when no other holder remains; an entry older than
   * FEATURE_FLAG_KILL_TIMEOUT_MAX_MS belongs to a kill that died, and the next `flags set` clears it.
   */
  readonly monitorSuspensions?: readonly FeatureFlagMonitorSuspension[];
}

/**
 * The longest a kill may take (its `--timeout` at most): a monitor suspension older than this belongs to a kill that
 * died or gave up, never to one still running.
 */
export const FEATURE_FLAG_KILL_TIMEOUT_MAX_MS = 15 * 60_000;

/**
 * Whether two profiles serve the same thing: the same set of flags with the same values (descriptions, owners and
 * dates aside: a changed description alone is not worth a deployment).
 */
export function sameFeatureFlagValues(a: FeatureFlagProfile, b: FeatureFlagProfile): boolean {
  if (a.flags.length !== b.flags.length) return false;
  const values = new Map(a.flags.map((f) => [f.name, f.enabled]));
  return values.size === b.flags.length && b.flags.every((f) => values.has(f.name) && values.get(f.name) === f.enabled);
}

/** The record keeps this many changes. */
export const FEATURE_FLAG_RECORD_MAX_CHANGES = 50;
