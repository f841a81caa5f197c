import { median } from './measure.js';

/** Figures of one run: case id -> subject -> median over the repetitions. */
export type Figures = Record<string, Record<string, number>>;

/** Every repetition of one run: case id -> subject -> value of repetition r at index r (NaN: failed). */
export type Samples = Record<string, Record<string, number[]>>;

/** What one `npm run bench` measured. */
export interface RunResults {
  figures: Figures;
  samples: Samples;
}

/** Medians of each subject's repetitions that did not fail. */
export function mediansOf(samples: Samples): Figures {
  const figures: Figures = {};
  for (const [id, row] of Object.entries(samples)) {
    figures[id] = {};
    for (const [subject, values] of Object.entries(row)) {
      const measured = values.filter((value) => !Number.isNaN(value));
      if (measured.length > 0) (figures[id] as Record<string, number>)[subject] = median(measured);
    }
  }
  return figures;
}

/**
 * a / b for two subjects of one case, as the median over repetitions of the ratio within each
 * repetition. A repetition runs the subjects back to back, so a slow spell of the shared machine
 * weighs on both sides of each ratio instead of on whichever subject it happened to hit.
 */
export function pairedRatio(
  results: RunResults,
  id: string,
  a: string,
  b: string,
): number | undefined {
  const as = results.samples[id]?.[a];
  const bs = results.samples[id]?.[b];
  if (as === undefined || bs === undefined) return undefined;
  const ratios = as
    .map((value, r) => value / (bs[r] ?? Number.NaN))
    .filter((ratio) => Number.isFinite(ratio));
  return ratios.length === 0 ? undefined : median(ratios);
}
