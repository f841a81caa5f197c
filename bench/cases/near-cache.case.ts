import type { CaseModule } from '../support/case-module.js';
import { figureOf } from '../support/results.js';
import { atLeast } from '../support/targets.js';

/** The near cache's cases (Redis store with `nearCache`) and its targets from issue 11. */
const nearCacheCases: CaseModule = {
  order: 50,
  jobs: () => [
    {
      script: 'near-cache-hit',
      args: [],
      subjects: ['kv-store', 'memory store', 'node-redis'],
      rows: [
        {
          id: 'near-cache-hit',
          title:
            'Near cache: get answered in process vs memory store get vs node-redis GET (one at a time)',
          unit: 'ops/s',
        },
      ],
      redis: true,
    },
    {
      script: 'near-cache-invalidation',
      args: [],
      subjects: ['default', 'broadcast'],
      rows: [
        ...(['50', '99'] as const).map((percentile) => ({
          id: `near-cache-invalidation-p${percentile}`,
          title: `Near cache: invalidation delay between two processes (write acknowledged in B to entry gone in A, A idle: timestamped on the near cache's diagnostics channel), p${percentile} of 1000 (median of 3 rounds), by tracking mode`,
          unit: 'ms' as const,
        })),
        // No target: the figure includes the core the spinning reader takes from Redis and B.
        ...(['50', '99'] as const).map((percentile) => ({
          id: `near-cache-invalidation-busy-p${percentile}`,
          title: `Near cache: staleness seen by a busy reader (write acknowledged in B to A's first get that misses, A spinning on get), p${percentile} of 1000 (median of 3 rounds), by tracking mode`,
          unit: 'ms' as const,
        })),
      ],
      redis: true,
    },
  ],
  targets: [
    atLeast('Near-cache hit >= 0.5x the memory store get', 'near-cache-hit', 'memory store', 0.5),
    atLeast(
      'Near-cache hit >= 10x node-redis GET, one at a time',
      'near-cache-hit',
      'node-redis',
      10,
    ),
    {
      description:
        'Near-cache invalidation delay between two processes: p99 < 2 ms (loopback, reader idle)',
      check: (results) => {
        const p99 = figureOf(results, 'near-cache-invalidation-p99', 'default');
        if (p99 === undefined) return undefined;
        return {
          measured: `${p99.toFixed(3)} ms`,
          met: p99 < 2,
          ratio: p99,
          threshold: 2,
          higherIsBetter: false,
        };
      },
    },
  ],
};
export default nearCacheCases;
