import type { CaseSpec } from './cases.js';
import { pairedRatio } from './results.js';
import type { Target } from './targets.js';

/** The near cache's benchmark cases (Redis store with `nearCache`). */
export function nearCacheCases(): CaseSpec[] {
  return [
    {
      id: 'near-cache-hit',
      title:
        'Near cache: get answered in process vs memory store get vs node-redis GET (one at a time)',
      script: 'near-cache-hit',
      args: [],
      subjects: ['kv-store', 'memory store', 'node-redis'],
      unit: 'ops/s',
      redis: true,
      together: true,
    },
    ...(['50', '99'] as const).map((percentile): CaseSpec => ({
      id: `near-cache-invalidation-p${percentile}`,
      title: `Near cache: invalidation delay between two processes (write acknowledged in B to entry gone in A), p${percentile} of 1000, by tracking mode`,
      script: 'near-cache-invalidation',
      args: [percentile],
      subjects: ['default', 'broadcast'],
      unit: 'ms',
      redis: true,
      together: true,
    })),
  ];
}

function hitRatio(description: string, peer: string, min: number): Target {
  return {
    description,
    check: (results) => {
      const r = pairedRatio(results, 'near-cache-hit', 'kv-store', peer);
      return r === undefined ? undefined : { measured: `${r.toFixed(2)}x`, met: r >= min };
    },
  };
}

/** The near cache's targets from issue 11. */
export const NEAR_CACHE_TARGETS: Target[] = [
  hitRatio('Near-cache hit >= 0.5x the memory store get', 'memory store', 0.5),
  hitRatio('Near-cache hit >= 10x node-redis GET, one at a time', 'node-redis', 10),
  {
    description: 'Near-cache invalidation delay between two processes: p99 < 2 ms (loopback)',
    check: ({ figures }) => {
      const p99 = figures['near-cache-invalidation-p99']?.default;
      return p99 === undefined ? undefined : { measured: `${p99.toFixed(3)} ms`, met: p99 < 2 };
    },
  },
];
