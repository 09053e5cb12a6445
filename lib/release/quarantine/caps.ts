/**
 * The caps: at most keepPerColour entries of a colour and keepPerService in all. Isolating claims count as well as
 * kept instances, so a burst of hook events can never claim more places than the caps, whatever finishes first.
 */
import { ColourName, QuarantineEntry } from '../../contract';

/** The two caps. */
export interface QuarantineCaps {
  readonly keepPerColour: number;
  readonly keepPerService: number;
}

/** Why one more entry of `colour` would exceed a cap, or undefined when it fits. */
export function capExceeded(entries: readonly QuarantineEntry[], colour: ColourName, caps: QuarantineCaps): string | undefined {
  const ofColour = entries.filter((e) => e.colour === colour).length;
  if (caps.keepPerColour === 0) return `keepPerColour is 0: ${colour} keeps none, replacements are only counted`;
  if (ofColour >= caps.keepPerColour) return `${colour} already keeps ${ofColour} of at most ${caps.keepPerColour} (keepPerColour)`;
  if (entries.length >= caps.keepPerService) return `the service already keeps ${entries.length} of at most ${caps.keepPerService} (keepPerService)`;
  return undefined;
}
