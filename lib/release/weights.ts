import { ColourName, otherColour, Weights } from './ports';

/** All traffic on `colour`. */
export function allTo(colour: ColourName): Weights {
  return colour === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 };
}

/** `candidatePercent` on the colour other than `stable`, the rest on `stable`. */
export function weightsAt(stable: ColourName, candidatePercent: number): Weights {
  const candidate = otherColour(stable);
  return candidate === 'blue'
    ? { blue: candidatePercent, green: 100 - candidatePercent }
    : { blue: 100 - candidatePercent, green: candidatePercent };
}

/** Weights a release holds once step `index` is verified; index -1 (before the first step) is all on stable. */
export function stepWeights(release: { readonly stable: ColourName; readonly steps: readonly number[] }, index: number): Weights {
  return index < 0 ? allTo(release.stable) : weightsAt(release.stable, release.steps[index]);
}

/** The weight of `colour`. */
export function weightOf(weights: Weights, colour: ColourName): number {
  return colour === 'blue' ? weights.blue : weights.green;
}

/** Whether both weights are equal. */
export function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue === b.blue && a.green === b.green;
}

/** The colour that takes all traffic, or undefined when the weights are split or both zero. */
export function liveColour(weights: Weights): ColourName | undefined {
  if (weights.blue > 0 && weights.green === 0) return 'blue';
  if (weights.green > 0 && weights.blue === 0) return 'green';
  return undefined;
}

/** `blue 90 % / green 10 %`. */
export function formatWeights(weights: Weights): string {
  return `blue ${weights.blue} % / green ${weights.green} %`;
}
