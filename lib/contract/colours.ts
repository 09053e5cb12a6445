/**
 * Colour and capacity-mode names: the words the manifest, the descriptor, the release record and the CLI share.
 */

/** A colour's lower-case name. */
export type ColourName = 'blue' | 'green';

/** Both colour names, blue first. */
export const COLOUR_NAMES: readonly ColourName[] = ['blue', 'green'];

/** The other colour. */
export function otherColour(c: ColourName): ColourName {
  return c === 'blue' ? 'green' : 'blue';
}

/** Whether `name` is a colour name. */
export function isColourName(name: unknown): name is ColourName {
  return name === 'blue' || name === 'green';
}

/** How much capacity a colour runs: serving size (`active`, `ready`) or none (`standby`). */
export type CapacityModeName = 'active' | 'ready' | 'standby';

/** Every capacity mode name. */
export const CAPACITY_MODE_NAMES: readonly CapacityModeName[] = ['active', 'ready', 'standby'];

/** Whether `name` is a capacity mode name. */
export function isCapacityModeName(name: unknown): name is CapacityModeName {
  return CAPACITY_MODE_NAMES.includes(name as CapacityModeName);
}
