import * as fs from 'fs';
import * as path from 'path';
import { propError } from '../private/validate';
import { COMPONENT_NAME } from '../../lib/contract';
import { AppConfigAgentOptions } from './app-config-agent-options';
import { ImageArchitecture } from './image-architecture';
import { agentPhases, agentRpmUrl } from './private/app-config-agent';
import { bashStep, fileSteps, ToePhase, ToePhaseName, toeDocument } from './private/toe-document';

/** A file a component writes onto the image. */
export interface ComponentFile {
  /** Absolute path on the instance, e.g. `/opt/web/server.py`. */
  readonly path: string;
  /** Text content, embedded into the component document at synth. */
  readonly content: string;
  /**
   * Octal permissions.
   *
   * @default '0644'
   */
  readonly permissions?: string;
}

/** A component written as lists of shell commands. */
export interface ComponentStepsOptions {
  /** Name: lower-case letters, digits and hyphens, starting with a letter, at most 40 characters. */
  readonly name: string;
  /**
   * What the component does, shown in Image Builder.
   *
   * @default - the name
   */
  readonly description?: string;
  /**
   * Files written before the build commands run.
   *
   * @default - none
   */
  readonly files?: ComponentFile[];
  /** Bash commands of the build phase, run in order on the build instance; the first failure fails the bake. */
  readonly buildCommands: string[];
  /**
   * Bash commands of the validate phase, run on the build instance after every build phase.
   *
   * @default - none
   */
  readonly validateCommands?: string[];
  /**
   * Bash commands of the test phase, run on a fresh instance launched from the new image before it is distributed.
   *
   * @default - none
   */
  readonly testCommands?: string[];
}

/** Options of a component read from an AWSTOE document file. */
export interface ComponentFileOptions {
  /**
   * Name of the component.
   *
   * @default - the file name without its extension
   */
  readonly name?: string;
}

/** One AWSTOE document of a component, which becomes one Image Builder component. */
export interface ComponentDocument {
  /** Name of the Image Builder component, before the image's prefix. */
  readonly name: string;
  /** Description. */
  readonly description: string;
  /** The YAML document. */
  readonly data: string;
  /** Whether Image Builder runs it in the test stage (a document with only a `test` phase) rather than the build stage. */
  readonly testStage: boolean;
}

/**
 * A unit of image content: an AWSTOE document with build, validate and test phases.
 *
 * Image Builder runs `build` and `validate` on the build instance and, in the test stage, only components whose
 * document has nothing but a `test` phase. `fromSteps` therefore splits test commands into their own document.
 *
 * @example
 * ImageComponent.fromSteps({
 *   name: 'nginx',
 *   buildCommands: ['dnf install -y nginx', 'systemctl enable nginx'],
 *   testCommands: ['systemctl is-active nginx'],
 * });
 */
export class ImageComponent {
  /** Longest inline component document CloudFormation accepts (`AWS::ImageBuilder::Component` `Data`). */
  public static readonly MAX_DOCUMENT_CHARS = 16_000;
  /** Name of the component `appConfigAgent` returns. */
  public static readonly APPCONFIG_AGENT_NAME = 'appconfig-agent';

  /**
   * A component from shell commands, with optional files written first.
   *
   * @throws when the name is malformed, there are no build commands, a file path is not absolute, or the document
   * exceeds what CloudFormation accepts inline
   */
  public static fromSteps(options: ComponentStepsOptions): ImageComponent {
    const name = checkName(options.name, 'name');
    const where = `component '${name}'`;
    const build = checkCommands(`${where} buildCommands`, options.buildCommands, true);
    const validate = checkCommands(`${where} validateCommands`, options.validateCommands ?? [], false);
    const test = checkCommands(`${where} testCommands`, options.testCommands ?? [], false);
    const files = checkFiles(where, options.files ?? []);
    const description = options.description ?? name;

    const buildPhases: ToePhase[] = [{ name: 'build', steps: [...fileSteps(files), bashStep('Build', build)] }];
    if (validate.length) buildPhases.push({ name: 'validate', steps: [bashStep('Validate', validate)] });
    const documents = [document(name, description, toeDocument(name, description, buildPhases), false)];
    if (test.length) {
      const testName = `${name}-test`;
      documents.push(document(testName, `${description} (tests)`, toeDocument(testName, `${description} (tests)`, [{ name: 'test', steps: [bashStep('Test', test)] }]), true));
    }
    return new ImageComponent(name, documents, []);
  }

  /**
   * A component from an AWSTOE YAML document, read at synth.
   *
   * A document with only a `test` phase runs in the test stage; any other runs in the build stage, where Image
   * Builder skips its `test` phase (a warning says so).
   *
   * @throws when the file cannot be read or has no `phases`
   */
  public static fromFile(file: string, options: ComponentFileOptions = {}): ImageComponent {
    const fileName = path.basename(file).replace(/\.[^.]*$/, '');
    const name = checkName(options.name ?? fileName, options.name === undefined ? `component file name '${path.basename(file)}' (or pass { name })` : 'name');
    let data: string;
    try {
      data = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`ImageComponent.fromFile: cannot read '${file}' (${(e as NodeJS.ErrnoException).code}). Create the file or fix the path.`);
    }
    const phases = declaredPhases(data);
    if (!/^schemaVersion:/m.test(data) || !/^phases:/m.test(data) || phases.length === 0) {
      throw new Error(
        `ImageComponent.fromFile: '${file}' is not an AWSTOE document: it needs top-level 'schemaVersion' and 'phases' with a build, validate or test phase.`,
      );
    }
    const testOnly = phases.every((p) => p === 'test');
    const warnings = !testOnly && phases.includes('test')
      ? [`component '${name}' (${file}) mixes a test phase with build/validate phases: Image Builder runs test phases only of documents that have nothing else. Move the test phase into its own file.`]
      : [];
    return new ImageComponent(name, [document(name, name, data, testOnly)], warnings);
  }

  /**
   * The AWS AppConfig Agent: installs AWS's RPM for the build instance's architecture (x86_64 or arm64), enables the
   * `aws-appconfig-agent` systemd unit so it starts on every boot, writes `/etc/sysconfig/aws-appconfig-agent` when
   * a setting is given, and validates that the package is installed and the unit enabled.
   *
   * Applications then read flags from `http://localhost:2772` (see `featureFlagAgentPath`). The instance role needs
   * `appconfig:StartConfigurationSession` and `appconfig:GetLatestConfiguration`.
   *
   * The RPM comes from AWS's `latest` URL, which is outside the component's content hash: a new agent release
   * changes nothing here, and arrives only with the next bake (any change to the image's components or recipe).
   *
   * @example
   * ImageComponent.appConfigAgent({
   *   pollInterval: Duration.seconds(30),
   *   prefetch: [{ application: 'bluegreen-web', environment: 'live', configurationProfile: 'feature-flags' }],
   * });
   *
   * @throws when a setting is out of range, malformed, or a token (settings are part of the image's content)
   * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-integration-ec2.html
   */
  public static appConfigAgent(options: AppConfigAgentOptions = {}): ImageComponent {
    const name = ImageComponent.APPCONFIG_AGENT_NAME;
    const description = 'AWS AppConfig Agent on localhost, started at boot';
    return new ImageComponent(name, [document(name, description, toeDocument(name, description, agentPhases(options)), false)], []);
  }

  /**
   * URL of the latest AWS AppConfig Agent RPM for an architecture, in AWS's public bucket.
   *
   * @param architecture the image's architecture
   */
  public static appConfigAgentRpmUrl(architecture: ImageArchitecture): string {
    return agentRpmUrl(architecture);
  }

  private constructor(
    /** Name of the component. */
    public readonly name: string,
    /** The documents it becomes (one, or two when test commands are split off). */
    public readonly documents: ComponentDocument[],
    /** Problems that do not stop synthesis; the image reports them as warnings. */
    public readonly warnings: string[],
  ) {}
}

function document(name: string, description: string, data: string, testStage: boolean): ComponentDocument {
  if (data.length > ImageComponent.MAX_DOCUMENT_CHARS) {
    throw propError(
      `component '${name}'`,
      `${data.length} characters`,
      `the document exceeds the ${ImageComponent.MAX_DOCUMENT_CHARS} characters CloudFormation accepts inline. Split it, or download large files in a build step.`,
    );
  }
  return { name, description, data, testStage };
}

function checkName(name: string, prop: string): string {
  if (!COMPONENT_NAME.test(name)) {
    throw propError(prop, name, 'must be lower-case letters, digits and hyphens, start with a letter, and be at most 40 characters.');
  }
  return name;
}

function checkCommands(prop: string, commands: string[], required: boolean): string[] {
  if (required && commands.length === 0) {
    throw propError(
      prop,
      commands,
      'needs at least one command: Image Builder runs a component in the build stage only for its build steps. Add the install commands, e.g. ["dnf install -y nginx"].',
    );
  }
  commands.forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') throw propError(`${prop}[${i}]`, c, 'must be a non-empty shell command.');
  });
  return commands;
}

function checkFiles(where: string, files: ComponentFile[]): Array<{ path: string; content: string; permissions: string }> {
  const seen = new Set<string>();
  return files.map((f, i) => {
    const prop = `${where} files[${i}]`;
    if (!f.path.startsWith('/') || f.path.endsWith('/')) throw propError(`${prop}.path`, f.path, 'must be an absolute file path, e.g. /opt/web/server.py.');
    if (seen.has(f.path)) throw propError(`${prop}.path`, f.path, 'is written twice; keep one entry per file.');
    seen.add(f.path);
    const permissions = f.permissions ?? '0644';
    if (!/^0?[0-7]{3}$/.test(permissions)) throw propError(`${prop}.permissions`, permissions, "must be octal, e.g. '0644' or '0755'.");
    return { path: f.path, content: f.content, permissions };
  });
}

/** Phase names declared in a document: list items `- name: <phase>` directly under `phases:`. */
function declaredPhases(data: string): ToePhaseName[] {
  const block = data.split(/^phases:\s*$/m)[1] ?? '';
  const indents = [...block.matchAll(/^([ \t]*)-[ \t]*name:/gm)].map((m) => m[1].length);
  if (indents.length === 0) return [];
  const phaseIndent = Math.min(...indents);
  const names = [...block.matchAll(/^([ \t]*)-[ \t]*name:[ \t]*["']?([A-Za-z-]+)["']?[ \t]*$/gm)]
    .filter((m) => m[1].length === phaseIndent)
    .map((m) => m[2]);
  return names.filter((n): n is ToePhaseName => n === 'build' || n === 'validate' || n === 'test');
}
