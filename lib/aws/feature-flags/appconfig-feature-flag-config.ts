import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  Deployment,
  DeploymentEvent,
  DeploymentSummary,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { FEATURE_FLAG_NAMES, FeatureFlagsDescriptor } from '../../contract';
import { FeatureFlagConfigPort, FlagDeployment, FlagDeploymentConflictError, FlagDeploymentState, FlagStopResult } from '../../release/feature-flags/ports';
import { AwsClients } from '../clients';

/** AppConfig's limit on a hosted version's and a deployment's Description. */
export const APPCONFIG_DESCRIPTION_MAX = 1024;

/** Deployments per ListDeployments page (AppConfig's maximum). */
export const FLAG_DEPLOYMENTS_PAGE = 50;

/**
 * Pages `listDeployments` reads at most looking for the newest COMPLETE deployment of the flags profile (1,000
 * deployments): past that it fails rather than rebuild the flags from their defaults.
 */
export const FLAG_DEPLOYMENTS_MAX_PAGES = 20;

/** The environment's history is too long to find what the flags serve. */
export class FlagDeploymentHistoryTooLongError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagDeploymentHistoryTooLongError';
  }
}

/** The ids of the service's AppConfig resources the adapter works on (the descriptor's `featureFlags`). */
export type FeatureFlagConfigIds = Pick<FeatureFlagsDescriptor, 'applicationId' | 'environmentId' | 'profileId'>;

/**
 * The service's flags in AppConfig: the environment's deployments and the profile's hosted versions. Each method is
 * one API call (listDeployments one per page; stopDeployment up to three when AppConfig refuses a plain stop).
 */
export class AppConfigFeatureFlagConfig implements FeatureFlagConfigPort {
  /** The application, environment and profile of `section`, through the shared AppConfig client. */
  public static fromClients(clients: AwsClients, section: FeatureFlagConfigIds): AppConfigFeatureFlagConfig {
    return new AppConfigFeatureFlagConfig(clients.get(AppConfigClient), section);
  }

  constructor(
    private readonly appconfig: AppConfigClient,
    private readonly ids: FeatureFlagConfigIds,
  ) {}

  /**
   * ListDeployments, page after page (newest first), until a page holds a COMPLETE deployment of the flags profile
   * (what the flags serve) or there are no more; every deployment read, newest first, those of other profiles of the
   * environment marked `otherProfile` (they hold the environment while they run, but never serve the flags).
   *
   * @throws FlagDeploymentHistoryTooLongError after FLAG_DEPLOYMENTS_MAX_PAGES pages without one: rebuilding from
   * the declared defaults would flip every flag changed since
   */
  public async listDeployments(): Promise<FlagDeployment[]> {
    const all: FlagDeployment[] = [];
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const out = await this.appconfig.send(
        new ListDeploymentsCommand({ ApplicationId: this.ids.applicationId, EnvironmentId: this.ids.environmentId, MaxResults: FLAG_DEPLOYMENTS_PAGE, ...(token ? { NextToken: token } : {}) }),
      );
      all.push(...(out.Items ?? []).map((d) => ({ ...flagDeploymentOf(d), ...(this.isOtherProfile(d) ? { otherProfile: true } : {}) })));
      token = out.NextToken;
      if (!token || all.some((d) => d.state === 'COMPLETE' && !d.otherProfile)) break;
      if (page >= FLAG_DEPLOYMENTS_MAX_PAGES) {
        throw new FlagDeploymentHistoryTooLongError(
          `No COMPLETE deployment of profile ${this.ids.profileId} in the newest ${all.length} deployments of AppConfig environment ${this.ids.environmentId}: ` +
            'what the flags serve cannot be found, and building from the declared defaults would flip every flag changed since. Nothing was changed.',
        );
      }
    }
    // AppConfig lists them newest first already; sorting makes it a guarantee, not an observation.
    return all.sort((a, b) => b.deploymentNumber - a.deploymentNumber);
  }

  /** Whether a deployment is of another profile: by its profile id, else (a summary without one) its name. */
  private isOtherProfile(d: DeploymentSummary): boolean {
    if (d.ConfigurationProfileId) return d.ConfigurationProfileId !== this.ids.profileId;
    return d.ConfigurationName !== undefined && d.ConfigurationName !== FEATURE_FLAG_NAMES.PROFILE;
  }

  /** One GetDeployment call. */
  public async getDeployment(deploymentNumber: number): Promise<FlagDeployment> {
    const out = await this.appconfig.send(
      new GetDeploymentCommand({ ApplicationId: this.ids.applicationId, EnvironmentId: this.ids.environmentId, DeploymentNumber: deploymentNumber }),
    );
    const reason = rollbackReason(out);
    return {
      ...flagDeploymentOf(out),
      ...(out.Description ? { description: out.Description } : {}),
      ...(out.DeploymentStrategyId ? { strategyId: out.DeploymentStrategyId } : {}),
      ...(reason ? { rollbackReason: reason } : {}),
    };
  }

  /**
   * StopDeployment. AppConfig's API reference: it "works only on deployments that have a status of DEPLOYING, unless
   * an AllowRevert parameter is supplied"; with AllowRevert an in-progress deployment ends ROLLED_BACK, and only a
   * COMPLETE one (within 72 hours) REVERTED. So: a plain stop first; on BadRequestException, GetDeployment says why:
   * BAKING is stopped again with AllowRevert (`reverted`: ROLLED_BACK, the previous version served again);
   * VALIDATING and ROLLING_BACK answer `busy` (the caller waits), and so does DEPLOYING (it left VALIDATING between
   * the refused stop and the read: the caller reads it and stops it again); an ended one `ended`. AllowRevert is sent
   * only when that read said BAKING, never for a deployment read COMPLETE.
   *
   * The window no API call closes: a BAKING deployment that completes between that GetDeployment and the stop with
   * AllowRevert is REVERTED, the version before it served again. For a kill that is the change it set out to stop,
   * and the kill then rebuilds from what is live, so its flag still ends off; but every other flag that deployment
   * changed goes back to its previous value too (docs/FEATURE-FLAGS.md, Limits).
   */
  public async stopDeployment(deploymentNumber: number): Promise<FlagStopResult> {
    const stop = (allowRevert: boolean) =>
      this.appconfig.send(
        new StopDeploymentCommand({
          ApplicationId: this.ids.applicationId,
          EnvironmentId: this.ids.environmentId,
          DeploymentNumber: deploymentNumber,
          ...(allowRevert ? { AllowRevert: true } : {}),
        }),
      );
    try {
      await stop(false);
      return 'stopped';
    } catch (e) {
      if (!isError(e, 'BadRequestException', 400)) throw e;
      const now = await this.getDeployment(deploymentNumber);
      switch (now.state) {
        case 'BAKING':
          await stop(true);
          return 'reverted';
        case 'VALIDATING':
        case 'ROLLING_BACK':
        case 'DEPLOYING':
          return 'busy';
        default:
          return 'ended';
      }
    }
  }

  /** One GetHostedConfigurationVersion call; the content as UTF-8 text. */
  public async readVersion(version: string): Promise<string> {
    const out = await this.appconfig.send(
      new GetHostedConfigurationVersionCommand({
        ApplicationId: this.ids.applicationId,
        ConfigurationProfileId: this.ids.profileId,
        VersionNumber: versionNumber(version),
      }),
    );
    return new TextDecoder().decode(out.Content ?? new Uint8Array());
  }

  /** One CreateHostedConfigurationVersion call (application/json; the description cut to AppConfig's 1024). */
  public async createVersion(content: string, description: string): Promise<string> {
    const out = await this.appconfig.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: this.ids.applicationId,
        ConfigurationProfileId: this.ids.profileId,
        Content: new TextEncoder().encode(content),
        ContentType: 'application/json',
        ...(description ? { Description: description.slice(0, APPCONFIG_DESCRIPTION_MAX) } : {}),
      }),
    );
    if (out.VersionNumber === undefined) throw new Error('AppConfig CreateHostedConfigurationVersion answered no VersionNumber.');
    return String(out.VersionNumber);
  }

  /**
   * One StartDeployment call.
   *
   * @throws FlagDeploymentConflictError on AppConfig's 409 ConflictException (another deployment holds the environment)
   */
  public async startDeployment(version: string, strategyId: string, description: string): Promise<number> {
    try {
      const out = await this.appconfig.send(
        new StartDeploymentCommand({
          ApplicationId: this.ids.applicationId,
          EnvironmentId: this.ids.environmentId,
          ConfigurationProfileId: this.ids.profileId,
          ConfigurationVersion: version,
          DeploymentStrategyId: strategyId,
          ...(description ? { Description: description.slice(0, APPCONFIG_DESCRIPTION_MAX) } : {}),
        }),
      );
      if (out.DeploymentNumber === undefined) throw new Error('AppConfig StartDeployment answered no DeploymentNumber.');
      return out.DeploymentNumber;
    } catch (e) {
      // Matched on the name and status: AppConfig's text for a running deployment is not documented.
      if (isError(e, 'ConflictException', 409)) {
        throw new FlagDeploymentConflictError(
          `Another deployment holds AppConfig environment ${this.ids.environmentId} of application ${this.ids.applicationId}: ${(e as Error).message}`,
        );
      }
      throw e;
    }
  }
}

function flagDeploymentOf(d: DeploymentSummary | Deployment): FlagDeployment {
  return {
    deploymentNumber: d.DeploymentNumber ?? 0,
    state: (d.State ?? 'DEPLOYING') as FlagDeploymentState,
    configurationVersion: d.ConfigurationVersion ?? '',
    percentageComplete: d.PercentageComplete ?? 0,
    ...(d.StartedAt ? { startedAt: d.StartedAt.getTime() } : {}),
    ...(d.CompletedAt ? { completedAt: d.CompletedAt.getTime() } : {}),
    ...(d.DeploymentDurationInMinutes !== undefined ? { deploymentDurationMinutes: d.DeploymentDurationInMinutes } : {}),
    ...(d.FinalBakeTimeInMinutes !== undefined ? { finalBakeTimeMinutes: d.FinalBakeTimeInMinutes } : {}),
    ...(d.GrowthFactor !== undefined ? { growthFactor: d.GrowthFactor } : {}),
  };
}

/**
 * Why AppConfig rolled the deployment back, from its event log: the newest ROLLBACK_STARTED event's description
 * (AppConfig names the alarm there), else who triggered it. Undefined when it did not roll back.
 */
export function rollbackReason(d: Pick<Deployment, 'State' | 'EventLog'>): string | undefined {
  const events = d.EventLog ?? [];
  const rollbacks = events.filter((e) => e.EventType === 'ROLLBACK_STARTED' || e.EventType === 'ROLLBACK_COMPLETED');
  if (!rollbacks.length && d.State !== 'ROLLED_BACK' && d.State !== 'ROLLING_BACK') return undefined;
  const started = newest(rollbacks.filter((e) => e.EventType === 'ROLLBACK_STARTED')) ?? newest(rollbacks);
  if (!started) return undefined;
  const text = started.Description?.trim();
  if (text) return text;
  return started.TriggeredBy ? `rolled back, triggered by ${started.TriggeredBy}` : undefined;
}

function newest(events: DeploymentEvent[]): DeploymentEvent | undefined {
  return events.reduce<DeploymentEvent | undefined>((a, b) => (!a || (b.OccurredAt?.getTime() ?? 0) >= (a.OccurredAt?.getTime() ?? 0) ? b : a), undefined);
}

function versionNumber(version: string): number {
  const n = Number(version);
  if (!Number.isInteger(n) || n < 1) throw new Error(`'${version}' is not a hosted configuration version number (1, 2, ...).`);
  return n;
}

function isError(e: unknown, name: string, status: number): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === name || err?.$metadata?.httpStatusCode === status;
}
