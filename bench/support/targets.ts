/** Figures of one run: case id -> subject -> median. */
export type Figures = Record<string, Record<string, number>>;

/** A target from the benchmark issue, checked against the figures of one run. */
export interface Target {
  description: string;
  /** Undefined when the run did not include the cases the target needs. */
  check(figures: Figures): { measured: string; met: boolean } | undefined;
}

function ratio(figures: Figures, id: string, ours: string, peer: string): number | undefined {
  const row = figures[id];
  const a = row?.[ours];
  const b = row?.[peer];
  return a === undefined || b === undefined ? undefined : a / b;
}

/** Higher-is-better ratio target: ours / peer >= min. */
function atLeast(
  description: string,
  id: string,
  peer: string,
  min: number,
  ours = 'kv-store',
): Target {
  return {
    description,
    check: (figures) => {
      const r = ratio(figures, id, ours, peer);
      return r === undefined ? undefined : { measured: `${r.toFixed(2)}x`, met: r >= min };
    },
  };
}

/** Lower-is-better ratio target: ours / peer <= max. */
function atMost(
  description: string,
  id: string,
  peer: string,
  max: number,
  ours = 'kv-store',
): Target {
  return {
    description,
    check: (figures) => {
      const r = ratio(figures, id, ours, peer);
      return r === undefined ? undefined : { measured: `${r.toFixed(2)}x`, met: r <= max };
    },
  };
}

/** The targets of the benchmark issue. */
export const TARGETS: Target[] = [
  atLeast('Memory get >= 0.8x the raw Map+JSON limit', 'memory-get', 'map+json', 0.8),
  atLeast('Memory put >= 0.7x the raw Map+JSON limit', 'memory-put', 'map+json', 0.7),
  atLeast('Memory get >= 3x keyv', 'memory-get', 'keyv', 3),
  atLeast('Memory put >= 3x keyv', 'memory-put', 'keyv', 3),
  {
    description: 'Memory rangeGet(100) at 1M keys within 2x of its time at 10k',
    check: (figures) => {
      const small = figures['memory-range-10000']?.['kv-store'];
      const large = figures['memory-range-1000000']?.['kv-store'];
      if (small === undefined || large === undefined) return undefined;
      return { measured: `${(large / small).toFixed(2)}x`, met: large / small <= 2 };
    },
  },
  atMost('Memory bytes per key <= 1.5x a raw Map of JSON strings', 'memory-bytes', 'map+json', 1.5),
];
