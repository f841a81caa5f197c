import type { CaseModule } from '../support/job.js';
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
    ...(['50', '99'] as const).map((percentile) => ({
      script: 'near-cache-invalidation',
      args: [percentile],
      subjects: ['default', 'broadcast'],
      rows: [
        {
          id: `near-cache-invalidation-p${percentile}`,
          title: `Near cache: invalidation delay between two processes (write acknowledged in B to entry gone in A), p${percentile} of 1000, by tracking mode`,
          unit: 'ms' as const,
        },
      ],
      redis: true,
    })),
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
      description: 'Near-cache invalidation delay between two processes: p99 < 2 ms (loopback)',
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
