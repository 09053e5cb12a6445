/**
 * The AWSTOE phases of the AWS AppConfig Agent component (see `ImageComponent.appConfigAgent`).
 *
 * Checked against AWS's documentation (appconfig-integration-ec2, and the agent's environment variable table):
 * the RPM in AWS's public bucket, the `aws-appconfig-agent` systemd unit, `/etc/sysconfig/aws-appconfig-agent`,
 * `POLL_INTERVAL` (default 45 s, seconds without a unit), `HTTP_PORT` (default 2772) and `PREFETCH_LIST` (comma
 * separated). Not confirmed from a page we could read in full, and therefore worth a look on the first real bake:
 * - the arm64 path `linux/arm64/latest` (the x86_64 path is the one AWS and public build scripts use);
 * - the `application:environment:profile` form of a `PREFETCH_LIST` entry (the Lambda extension documents
 *   `/applications/a/environments/e/configurations/p` paths instead);
 * - whether the RPM ships its own `/etc/sysconfig/aws-appconfig-agent`: the file is written after the install, so
 *   ours replaces it either way.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { propError } from '../../private/validate';
import type { AppConfigAgentOptions, AppConfigAgentPrefetch } from '../app-config-agent-options';
import { ImageArchitecture } from '../image-architecture';
import { bashStep, fileSteps, ToePhase } from './toe-document';

/** The systemd unit and RPM package name. */
export const AGENT_UNIT = 'aws-appconfig-agent';
/** The file the unit reads its environment from. */
export const AGENT_SETTINGS_FILE = '/etc/sysconfig/aws-appconfig-agent';
/** The agent's default HTTP port. */
export const AGENT_DEFAULT_PORT = 2772;

const MIN_POLL_SECONDS = 15;
const MAX_POLL_SECONDS = 24 * 60 * 60;
/** Characters a prefetch entry cannot hold: the list separators, and anything that breaks an environment file. */
const PREFETCH_NAME = /^[^\s:,"'\\$`#=]{1,128}$/;

/** URL of the latest agent RPM for an architecture, in AWS's public bucket. */
export function agentRpmUrl(architecture: ImageArchitecture): string {
  return `https://s3.amazonaws.com/aws-appconfig-downloads/aws-appconfig-agent/linux/${architecture.name}/latest/aws-appconfig-agent.rpm`;
}

/**
 * The build and validate phases.
 *
 * A component does not know the image it goes into, so the install picks the RPM on the build instance from
 * `uname -m`: one document serves both architectures, and a component can never install the wrong one.
 */
export function agentPhases(options: AppConfigAgentOptions): ToePhase[] {
  const settings = agentSettings(options);
  const x86 = ImageArchitecture.X86_64;
  const arm = ImageArchitecture.ARM_64;
  const install = [
    `case "$(uname -m)" in x86_64) RPM='${agentRpmUrl(x86)}' ;; aarch64) RPM='${agentRpmUrl(arm)}' ;; ` +
      `*) echo "AppConfig Agent: no RPM for architecture $(uname -m); AWS publishes ${x86.name} and ${arm.name}" >&2; exit 1 ;; esac`,
    'dnf install -y "$RPM"',
  ];
  const files = settings.length ? [{ path: AGENT_SETTINGS_FILE, content: settings.join('\n') + '\n', permissions: '0644' }] : [];
  // Enabled, not started: the build instance has no business fetching the service's flags, and the snapshot should
  // hold no agent cache. Systemd starts it on every boot of an instance of the image.
  const enable = ['systemctl daemon-reload', `systemctl enable ${AGENT_UNIT}`];
  const validate = [`rpm -q ${AGENT_UNIT}`, `systemctl is-enabled ${AGENT_UNIT}`];
  for (const line of settings) validate.push(`grep -qxF '${line}' ${AGENT_SETTINGS_FILE}`);
  return [
    { name: 'build', steps: [bashStep('InstallAgent', install), ...fileSteps(files), bashStep('EnableAgent', enable)] },
    { name: 'validate', steps: [bashStep('ValidateAgent', validate)] },
  ];
}

/** The lines of `/etc/sysconfig/aws-appconfig-agent`, in a fixed order; empty when every setting is the default. */
export function agentSettings(options: AppConfigAgentOptions): string[] {
  const lines: string[] = [];
  const poll = options.pollInterval;
  if (poll !== undefined) lines.push(`POLL_INTERVAL=${checkPollInterval(poll)}`);
  const port = options.port;
  if (port !== undefined) lines.push(`HTTP_PORT=${checkPort(port)}`);
  const prefetch = options.prefetch ?? [];
  if (prefetch.length) lines.push(`PREFETCH_LIST=${prefetch.map((p, i) => prefetchEntry(p, i)).join(',')}`);
  return lines;
}

function checkPollInterval(value: Duration): number {
  const prop = 'appConfigAgent pollInterval';
  if (value.isUnresolved()) throw propError(prop, value.toString(), 'must be known at synth: it is written into the image, whose version is a hash of its content.');
  const ms = value.toMilliseconds();
  if (ms % 1000 !== 0 || ms < MIN_POLL_SECONDS * 1000 || ms > MAX_POLL_SECONDS * 1000) {
    // Formatted here: propError would convert to whole seconds, which throws for 15.5 s.
    throw propError(prop, `${ms / 1000} seconds`, `must be whole seconds from ${MIN_POLL_SECONDS} seconds (AppConfig's shortest poll interval) to 24 hours, e.g. Duration.seconds(30).`);
  }
  return ms / 1000;
}

function checkPort(value: number): number {
  const prop = 'appConfigAgent port';
  if (Token.isUnresolved(value)) throw propError(prop, value, 'must be known at synth: it is written into the image, whose version is a hash of its content.');
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw propError(prop, value, `must be a whole number from 1 to 65535; leave it out for the agent's default ${AGENT_DEFAULT_PORT}.`);
  }
  return value;
}

function prefetchEntry(entry: AppConfigAgentPrefetch, i: number): string {
  const parts = [
    ['application', entry.application],
    ['environment', entry.environment],
    ['configurationProfile', entry.configurationProfile],
  ] as const;
  for (const [key, value] of parts) {
    const prop = `appConfigAgent prefetch[${i}].${key}`;
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      throw propError(prop, value, 'must be known at synth: it is written into the image, whose version is a hash of its content. Pass the name, e.g. bluegreen-web.');
    }
    if (typeof value !== 'string' || !PREFETCH_NAME.test(value)) {
      throw propError(prop, value, 'must be an AppConfig name or id of 1 to 128 characters without spaces, quotes, $, #, =, commas or colons (they separate the agent\'s PREFETCH_LIST).');
    }
  }
  return parts.map(([, value]) => value).join(':');
}
