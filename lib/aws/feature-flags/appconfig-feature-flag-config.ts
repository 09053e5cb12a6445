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
import { FeatureFlagsDescriptor } from '../../contract';
import { FeatureFlagConfigPort, FlagDeployment, FlagDeploymentConflictError, FlagDeploymentState, FLAG_DEPLOYMENT_RUNNING_STATES } from '../../release/feature-flags/ports';
import { AwsClients } from '../clients';

/** AppConfig's limit on a hosted version's and a deployment's Description. */
export const APPCONFIG_DESCRIPTION_MAX = 1024;

/** Deployments read by `listDeployments`: one page (one deployment runs at a time, so the newest page is enough). */
export const FLAG_DEPLOYMENTS_PAGE = 50;

/** The ids of the service's AppConfig resources the adapter works on (the descriptor's `featureFlags`). */
export type FeatureFlagConfigIds = Pick<FeatureFlagsDescriptor, 'applicationId' | 'environmentId' | 'profileId'>;

/**
 * The service's flags in AppConfig: the environment's deployments and the profile's hosted versions. Each method is
 * one API call (stopDeployment two when AppConfig refuses the stop).
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

  /** One ListDeployments call (the newest page), newest first. */
  public async listDeployments(): Promise<FlagDeployment[]> {
    const out = await this.appconfig.send(
      new ListDeploymentsCommand({ ApplicationId: this.ids.applicationId, EnvironmentId: this.ids.environmentId, MaxResults: FLAG_DEPLOYMENTS_PAGE }),
    );
    // AppConfig lists them newest first already; sorting makes it a guarantee, not an observation.
    return (out.Items ?? []).map(flagDeploymentOf).sort((a, b) => b.deploymentNumber - a.deploymentNumber);
  }

  /** One GetDeployment call. */
  public async getDeployment(deploymentNumber: number): Promise<FlagDeployment> {
    const out = await this.appconfig.send(
      new GetDeploymentCommand({ ApplicationId: this.ids.applicationId, EnvironmentId: this.ids.environmentId, DeploymentNumber: deploymentNumber }),
    );
    const reason = rollbackReason(out);
    return { ...flagDeploymentOf(out), ...(out.Description ? { description: out.Description } : {}), ...(reason ? { rollbackReason: reason } : {}) };
  }

  /**
   * One StopDeployment call, never with AllowRevert (a revert of a COMPLETE deployment would undo a finished flag
   * change, and ignores the monitors). AppConfig stops only a running deployment and answers BadRequestException for
   * one that ended; then one GetDeployment call tells which: ended is done, still running is AppConfig's refusal and
   * is thrown (e.g. a BAKING deployment, should AppConfig stop only DEPLOYING ones as its API reference says).
   */
  public async stopDeployment(deploymentNumber: number): Promise<void> {
    try {
      await this.appconfig.send(
        new StopDeploymentCommand({ ApplicationId: this.ids.applicationId, EnvironmentId: this.ids.environmentId, DeploymentNumber: deploymentNumber }),
      );
    } catch (e) {
      if (!isError(e, 'BadRequestException', 400)) throw e;
      const now = await this.getDeployment(deploymentNumber);
      if (FLAG_DEPLOYMENT_RUNNING_STATES.includes(now.state)) throw e;
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
