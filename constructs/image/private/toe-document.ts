/**
 * AWSTOE component documents, written as YAML without a YAML library.
 *
 * Every string is emitted double-quoted with JSON escaping, which is valid YAML: no value can be misread as a
 * number, a boolean, a comment or a block indicator, whatever a build command or an embedded file contains.
 */

/** Phases Image Builder runs: `build` and `validate` on the build instance, `test` on an instance of the new AMI. */
export type ToePhaseName = 'build' | 'validate' | 'test';

/** One step of a phase. */
export interface ToeStep {
  readonly name: string;
  readonly action: string;
  readonly inputs: unknown;
}

/** One phase of a document. */
export interface ToePhase {
  readonly name: ToePhaseName;
  readonly steps: ToeStep[];
}

/** A file written by a `CreateFile` step. */
export interface ToeFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
}

/** Render a component document. */
export function toeDocument(name: string, description: string, phases: ToePhase[]): string {
  const lines = [`name: ${quote(name)}`, `description: ${quote(description)}`, 'schemaVersion: 1.0', 'phases:'];
  for (const phase of phases) {
    lines.push(`  - name: ${phase.name}`, '    steps:');
    for (const step of phase.steps) {
      lines.push(`      - name: ${quote(step.name)}`, `        action: ${step.action}`, '        inputs:');
      lines.push(...emit(step.inputs, 10));
    }
  }
  return lines.join('\n') + '\n';
}

/** An `ExecuteBash` step that stops at the first failing command. */
export function bashStep(name: string, commands: string[]): ToeStep {
  return { name, action: 'ExecuteBash', inputs: { commands: ['set -eo pipefail', ...commands] } };
}

/**
 * Steps that write `files`: a bash step creating their folders (CreateFile is not documented to create parents),
 * then one `CreateFile` step.
 */
export function fileSteps(files: ToeFile[]): ToeStep[] {
  if (files.length === 0) return [];
  const folders = [...new Set(files.map((f) => f.path.slice(0, f.path.lastIndexOf('/')) || '/'))];
  return [
    bashStep('CreateFolders', [`mkdir -p ${folders.map(shellQuote).join(' ')}`]),
    {
      name: 'CreateFiles',
      action: 'CreateFile',
      inputs: files.map((f) => ({ path: f.path, content: f.content, owner: 'root', group: 'root', permissions: f.permissions, overwrite: true })),
    },
  ];
}

/** Quote a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function emit(value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.flatMap((item) => listItem(item, indent));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) =>
      isScalar(v) ? [`${pad}${key}: ${scalar(v)}`] : [`${pad}${key}:`, ...emit(v, indent + 2)],
    );
  }
  return [`${pad}${scalar(value)}`];
}

function listItem(item: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (isScalar(item)) return [`${pad}- ${scalar(item)}`];
  // Nested content is rendered two columns deeper, then the first line takes the "- " marker.
  const body = emit(item, indent + 2);
  return [`${pad}- ${body[0].slice(indent + 2)}`, ...body.slice(1)];
}

function isScalar(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && !Array.isArray(value));
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  throw new Error(`AWSTOE document: cannot render ${typeof value} values.`);
}
