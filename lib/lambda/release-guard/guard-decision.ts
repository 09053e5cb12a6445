/**
 * The release guard's decision, kept free of AWS so it can be tested exhaustively.
 *
 * A deploy may change anything about the idle colour. For a colour that holds live traffic it may not change
 * the image nor scale it to standby: that is how a stale release manifest would undo a release.
 */

/** What a deploy declares, or last deployed, for one colour. */
export interface GuardColourState {
  /** Image fingerprint. */
  readonly image: string;
  /** Capacity mode name. */
  readonly mode: string;
  /** The AMI id resolved at the last deploy (recorded in the descriptor only). */
  readonly imageId?: string;
}

/**
 * Whether the desired image is the one deployed: the same fingerprint, or an AMI id equal to the AMI the colour
 * resolved to (the CLI pins a live colour's `baked:` or `ssm:` entry to its AMI id after a release).
 */
export function sameImage(desired: GuardColourState, deployed: GuardColourState): boolean {
  return desired.image === deployed.image || (desired.image.startsWith('ami-') && desired.image === deployed.imageId);
}

/** Both colours. */
export interface GuardColours {
  readonly blue: GuardColourState;
  readonly green: GuardColourState;
}

/** Live weights read from the production rule. */
export interface GuardWeights {
  readonly blue: number;
  readonly green: number;
}

const COLOURS = ['blue', 'green'] as const;

/**
 * The first deploy routes 100 % to blue (the template's fixed initial weights), so blue must serve.
 */
export function firstDeployViolations(service: string, desired: GuardColours): string[] {
  if (desired.blue.mode === 'standby') {
    return [
      `${service}: the first deploy sends 100% of traffic to blue, but the release manifest puts blue in standby. Set blue's mode to "active".`,
    ];
  }
  return [];
}

/**
 * Violations of an update, given what the last successful deploy recorded and the live weights.
 *
 * @param routing the routing identity declared and last deployed (`BlueGreenService.routingIdentity`)
 * @returns one message per violation; empty when the deploy may go ahead
 */
export function updateViolations(
  service: string,
  desired: GuardColours,
  deployed: GuardColours,
  weights: GuardWeights,
  routing?: { readonly desired: string; readonly deployed?: string },
): string[] {
  const out: string[] = [];
  if (routing?.deployed !== undefined && routing.desired !== routing.deployed) {
    out.push(
      `${service}: this deploy changes what the weighted rules route through (${routing.deployed} to ${routing.desired}): ` +
        "the load balancer's scheme, the VPC, or the target groups' protocol or port. That replaces them and re-creates the rules " +
        'with their first-deploy weights, moving live traffic. Keep them, or deploy the change as a new service and move DNS.',
    );
  }
  for (const colour of COLOURS) {
    const weight = weights[colour];
    if (weight <= 0) continue;
    const share = `${colour} holds live traffic (weight ${weight} of ${weights.blue + weights.green})`;
    if (!sameImage(desired[colour], deployed[colour])) {
      out.push(
        `${service}: ${share}; this deploy would change its image from ${deployed[colour].image} to ${desired[colour].image}. ` +
          'The release manifest is stale or stages onto the live colour: stage new images on the idle colour only (bluegreen status shows which).',
      );
    }
    if (desired[colour].mode === 'standby') {
      out.push(
        `${service}: ${share}; this deploy would scale it to standby (zero instances). ` +
          'The release manifest is stale: update it from AWS (bluegreen status) before deploying.',
      );
    }
  }
  return out;
}

/**
 * A deploy that turns quarantine off while instances are kept would delete the only thing that terminates them (the
 * sweep) and leave them Retained, running and billed, with the quarantine security group undeletable under them.
 *
 * @param kept the ids of the service's instances that carry the quarantine tag and still run
 */
export function quarantineOffViolations(service: string, kept: readonly string[]): string[] {
  if (kept.length === 0) return [];
  const commands = kept.map((id) => `bluegreen quarantine terminate ${service} ${id}`).join('; ');
  return [
    `${service}: this deploy turns quarantine off while ${kept.length} instance(s) are kept (${kept.join(', ')}): nothing would terminate them ` +
      `and they would stay running and billed. Terminate them first (${commands}), then deploy.`,
  ];
}
