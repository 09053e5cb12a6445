import { descriptorParameterName, FeatureFlagsDescriptor, ServiceDescriptor } from '../../contract';
import { FeatureFlagConfigPort, FeatureFlagMonitorPort, FeatureFlagPorts } from '../../release/feature-flags/ports';
import { AwsClients } from '../clients';
import { SystemClock } from '../system-clock';
import { DynamoFeatureFlagRecordStore } from './dynamo-feature-flag-record-store';
import { once } from '../private/once';

/** The service's descriptor has no `featureFlags` section: it declares no feature flags. */
export class FeatureFlagsNotConfiguredError extends Error {
  constructor(public readonly service: string) {
    super(
      `Service ${service} has no feature flags: its descriptor (${descriptorParameterName(service)}) has no featureFlags section. ` +
        `Declare them in flags/${service}.json, add them to its BlueGreenService and deploy (cdk deploy).`,
    );
    this.name = 'FeatureFlagsNotConfiguredError';
  }
}

/**
 * The descriptor's feature-flag section.
 *
 * @throws FeatureFlagsNotConfiguredError when the service has none
 */
export function featureFlagsSection(descriptor: ServiceDescriptor): FeatureFlagsDescriptor {
  const section = descriptor.featureFlags;
  if (!section) throw new FeatureFlagsNotConfiguredError(descriptor.service);
  return section;
}

/**
 * Every port of the flag engine, backed by the service's resources: its AppConfig application, environment and
 * profile, the monitor alarm and the `<service>#flags` record in the release-state table, all named in the descriptor.
 *
 * Makes no call itself. Only the record's adapter (DynamoDB) loads with this module; AppConfig's and CloudWatch's
 * clients load with their adapters on first use, so a command that never touches the monitor does not load
 * CloudWatch's client.
 *
 * @throws FeatureFlagsNotConfiguredError when the service has no feature flags
 */
export function createFeatureFlagPorts(descriptor: ServiceDescriptor, clients: AwsClients): FeatureFlagPorts {
  const section = featureFlagsSection(descriptor);
  return {
    config: lazyConfig(clients, section),
    monitor: lazyMonitor(clients, section.monitorAlarmName),
    records: DynamoFeatureFlagRecordStore.fromClients(clients, descriptor.releaseStateTable, descriptor.service),
    clock: new SystemClock(),
  };
}

function lazyConfig(clients: AwsClients, section: FeatureFlagsDescriptor): FeatureFlagConfigPort {
  const port = once(async () => (await import('./appconfig-feature-flag-config')).AppConfigFeatureFlagConfig.fromClients(clients, section));
  return {
    listDeployments: async () => (await port()).listDeployments(),
    getDeployment: async (n) => (await port()).getDeployment(n),
    stopDeployment: async (n) => (await port()).stopDeployment(n),
    readVersion: async (version) => (await port()).readVersion(version),
    createVersion: async (content, description) => (await port()).createVersion(content, description),
    startDeployment: async (version, strategyId, description) => (await port()).startDeployment(version, strategyId, description),
  };
}

function lazyMonitor(clients: AwsClients, alarmName: string): FeatureFlagMonitorPort {
  const port = once(async () => (await import('./cloudwatch-feature-flag-monitor')).CloudWatchFeatureFlagMonitor.fromClients(clients, alarmName));
  return {
    read: async () => (await port()).read(),
    suspend: async () => (await port()).suspend(),
    resume: async () => (await port()).resume(),
  };
}
