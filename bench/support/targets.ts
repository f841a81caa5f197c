import { pairedRatio, type RunResults } from './results.js';

/** The outcome of one target in one run. */
export interface Outcome {
  /** The cell shown in RESULTS.md. */
  measured: string;
  met: boolean;
  /** The measured ratio, oriented so that the target reads `ratio >= threshold` (`atLeast`) or `ratio <= threshold`. */
  ratio: number;
  threshold: number;
  /** Whether a bigger ratio is better (false: the ratio is a cost, such as time or bytes). */
  higherIsBetter: boolean;
}

/** A target from the benchmark issues, checked against the figures of one run. */
export interface Target {
  description: string;
  /** Undefined when the run did not include the rows the target needs. */
  check(results: RunResults): Outcome | undefined;
}

/** The peer whose figure is highest in a row, among `peers` (the fastest raw client). */
export function fastestOf(results: RunResults, rowId: string, peers: readonly string[]): string {
  let best = peers[0] as string;
  let bestRatio = Number.POSITIVE_INFINITY;
  for (const peer of peers) {
    // Paired too: the peer that ours is slowest against, round by round.
    const r = pairedRatio(results, rowId, 'kv-store', peer);
    if (r !== undefined && r < bestRatio) [best, bestRatio] = [peer, r];
  }
  return best;
}

/**
 * Higher-is-better target: ours / peer >= min, on a rate (ops/s); `ours` is the subject named
 * `kv-store` unless given. `peer` may be a function that picks it from the run (the fastest raw
 * client of the row). `note` adds context to the cell.
 */
export function atLeast(
  description: string,
  rowId: string,
  peer: string | ((results: RunResults) => string),
  min: number,
  note?: (results: RunResults) => string | undefined,
  ours = 'kv-store',
): Target {
  return {
    description,
    check: (results) => {
      const peerName = typeof peer === 'string' ? peer : peer(results);
      const r = pairedRatio(results, rowId, ours, peerName);
      if (r === undefined) return undefined;
      const against = typeof peer === 'string' ? '' : ` vs ${peerName}`;
      const extra = note?.(results);
      return {
        measured: `${r.toFixed(2)}x${against}${extra ? ` (${extra})` : ''}`,
        met: r >= min,
        ratio: r,
        threshold: min,
        higherIsBetter: true,
      };
    },
  };
}

/** Lower-is-better target on a cost (time, bytes): ours / peer <= max. */
export function atMost(
  description: string,
  rowId: string,
  peer: string,
  max: number,
  ours = 'kv-store',
  unitText = 'x',
): Target {
  return {
    description,
    check: (results) => {
      const r = pairedRatio(results, rowId, ours, peer);
      if (r === undefined) return undefined;
      return {
        measured: `${r.toFixed(2)}${unitText}`,
        met: r <= max,
        ratio: r,
        threshold: max,
        higherIsBetter: false,
      };
    },
  };
}

/**
 * Time of a cost at one size against another size, measured in the same process in alternating
 * rounds: large / small <= max.
 */
export function scaling(
  description: string,
  largeRow: string,
  smallRow: string,
  max: number,
): Target {
  return {
    description,
    check: (results) => {
      const r = pairedRatio(results, largeRow, 'kv-store', 'kv-store', smallRow);
      if (r === undefined) return undefined;
      return {
        measured: `${r.toFixed(2)}x`,
        met: r <= max,
        ratio: r,
        threshold: max,
        higherIsBetter: false,
      };
    },
  };
}

/** Time ratio of a rate subject to a reference (time = 1 / rate): ref rate / subject rate <= max. */
export function timeAtMost(
  description: string,
  rowId: string,
  subject: string,
  reference: string,
  max: number,
): Target {
  return {
    description,
    check: (results) => {
      const r = pairedRatio(results, rowId, reference, subject);
      if (r === undefined) return undefined;
      return {
        measured: `${r.toFixed(2)}x the time`,
        met: r <= max,
        ratio: r,
        threshold: max,
        higherIsBetter: false,
      };
    },
  };
}
