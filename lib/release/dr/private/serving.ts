import { ColourName } from '../../../contract';
import type { CapacityState, TargetHealthCount } from '../../ports';
import { liveColour, formatWeights } from '../../weights';
import { RegionLink } from './region-link';

/** What a Region's live colour looks like now. */
export interface Serving {
  readonly colour: ColourName;
  readonly image: string;
  readonly capacity: CapacityState;
  readonly health: TargetHealthCount;
  readonly firing: readonly string[];
}

/** The colour at 100 % in a Region; throws when the weights are split (a release is moving traffic). */
export async function liveColourIn(link: RegionLink): Promise<ColourName> {
  const weights = await link.call('weights', (s) => s.weights());
  const colour = liveColour(weights);
  if (!colour) throw new Error(`${link.region} has no single live colour (${formatWeights(weights)}): a release is moving traffic`);
  return colour;
}

/** Read a Region's live colour: image, capacity, target health and firing alarms (calls made one at a time). */
export async function readServing(link: RegionLink, colour?: ColourName): Promise<Serving> {
  const c = colour ?? (await liveColourIn(link));
  const image = await link.call('image', (s) => s.image(c));
  const capacity = await link.call('capacity', (s) => s.capacity(c));
  const health = await link.call('target health', (s) => s.health(c));
  const firing = await link.call('alarms', (s) => s.firingAlarms(c));
  return { colour: c, image, capacity, health, firing };
}

/** Healthy targets of a colour (0 when they cannot be read). */
export async function healthyIn(link: RegionLink, colour: ColourName): Promise<number> {
  return (await link.call('target health', (s) => s.health(colour))).healthy;
}
