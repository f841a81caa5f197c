import type { Row } from './job.js';
import { median } from './measure.js';

/** Every figure of one row: subject -> repetition (fresh process) -> round. NaN: failed. */
export type RowSamples = Record<string, number[][]>;

/** What one `npm run bench` measured. */
export interface RunResults {
  rows: Record<string, Row & { subjects: string[]; samples: RowSamples }>;
}

/** Median of every round of `subject` in `rowId`, or undefined when none succeeded. */
export function figureOf(results: RunResults, rowId: string, subject: string): number | undefined {
  const values = (results.rows[rowId]?.samples[subject] ?? []).flat().filter(Number.isFinite);
  return values.length === 0 ? undefined : median(values);
}

/**
 * figure(a) / figure(b) as a paired ratio: the median over every round of the ratio within that
 * round. Both figures of a round were taken in one process within seconds of each other, so a
 * slow spell of the shared machine weighs on both sides of each ratio. `bRow` compares across
 * two rows of the same process (such as one store size against another).
 */
export function pairedRatio(
  results: RunResults,
  rowId: string,
  a: string,
  b: string,
  bRow = rowId,
): number | undefined {
  const as = results.rows[rowId]?.samples[a];
  const bs = results.rows[bRow]?.samples[b];
  if (as === undefined || bs === undefined) return undefined;
  const ratios: number[] = [];
  as.forEach((rounds, r) =>
    rounds.forEach((value, k) => {
      const ratio = value / (bs[r]?.[k] ?? Number.NaN);
      if (Number.isFinite(ratio) && ratio > 0) ratios.push(ratio);
    }),
  );
  return ratios.length === 0 ? undefined : median(ratios);
}
