import { DrSide, HealthCheckState, Route53View } from '../../release/dr/ports';
import { AwsClients } from '../clients';

/**
 * A Route53StatusView whose module (and Route 53's SDK client) is loaded on the first call, through `clients` (Route
 * 53's endpoint is global whatever their Region). Only `dr status` calls it, so no other command loads them. A load
 * that fails is not kept.
 */
export function lazyRoute53View(clients: AwsClients): Route53View {
  let view: Promise<Route53View> | undefined;
  const loaded = (): Promise<Route53View> =>
    (view ??= import('./route53-status-view').then(
      (m) => m.Route53StatusView.fromClients(clients),
      (err: unknown) => {
        view = undefined;
        throw err;
      },
    ));
  return {
    failoverHealthChecks: async (zone, name): Promise<Partial<Record<DrSide, string>>> => (await loaded()).failoverHealthChecks(zone, name),
    healthCheckStatus: async (id): Promise<HealthCheckState> => (await loaded()).healthCheckStatus(id),
    testDnsAnswer: async (zone, name): Promise<string[] | undefined> => (await loaded()).testDnsAnswer(zone, name),
  };
}
