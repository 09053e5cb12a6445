/** The commands DR messages point people to, so every message names the next step the same way. */
export const drCommands = {
  status: (service: string) => `bluegreen dr status ${service}`,
  resume: (service: string) => `bluegreen dr resume ${service}`,
  undo: (service: string) => `bluegreen dr resume ${service} --undo`,
  failover: (service: string) => `bluegreen dr failover ${service}`,
  outageFailover: (service: string) => `bluegreen dr failover ${service} --outage`,
  failback: (service: string) => `bluegreen dr failback ${service}`,
  allowSkew: '--allow-skew',
};
