import type { CaseModule } from '../support/case-module.js';
import { atLeast, atMost } from '../support/targets.js';

/** Issue 23: ours against bentocache (tiered, with bus) and node-redis 5's client-side cache. */
const tieredCases: CaseModule = {
  order: 60,
  jobs: () => [
    {
      script: 'tiered-hit',
      args: ['get'],
      subjects: ['kv-store', 'bentocache', 'bentocache serialize: false', 'node-redis CSC'],
      rows: [
        {
          id: 'tiered-l1-hit',
          title:
            'In-process tier hit: near-cache get vs bentocache L1 get vs node-redis 5 client-side cache GET + JSON.parse (one at a time)',
          unit: 'ops/s',
        },
      ],
      redis: true,
    },
    {
      script: 'tiered-hit',
      args: ['getorset'],
      subjects: ['kv-store', 'bentocache'],
      rows: [
        {
          id: 'tiered-getorset-hit',
          title:
            'Cache-aside hit answered in process: @Cached on a near-cached Redis store vs bentocache getOrSet with an L1 hit (one at a time)',
          unit: 'ops/s',
        },
      ],
      redis: true,
    },
    {
      script: 'tiered-invalidation',
      args: [],
      subjects: ['kv-store', 'bentocache', 'node-redis CSC'],
      rows: (['50', '99'] as const).map((percentile) => ({
        id: `tiered-invalidation-p${percentile}`,
        title: `Cross-process invalidation delay: write acknowledged in process B to process A's first read of the new value (A reading in a loop), p${percentile} of 500 (median of 3 rounds)`,
        unit: 'ms' as const,
      })),
      redis: true,
    },
  ],
  targets: [
    atLeast('L1 hit >= 1.5x bentocache (L1 + L2 + bus)', 'tiered-l1-hit', 'bentocache', 1.5),
    atLeast(
      'L1 hit against bentocache with serialize: false (hands out the cached object; reported)',
      'tiered-l1-hit',
      'bentocache serialize: false',
      Number.NEGATIVE_INFINITY,
    ),
    atLeast(
      'L1 hit >= 1.2x node-redis 5 client-side cache + JSON.parse',
      'tiered-l1-hit',
      'node-redis CSC',
      1.2,
    ),
    atLeast(
      '@Cached hit >= 1.5x bentocache getOrSet hit',
      'tiered-getorset-hit',
      'bentocache',
      1.5,
    ),
    atMost(
      'Cross-process invalidation delay p99 against bentocache (reported)',
      'tiered-invalidation-p99',
      'bentocache',
      Number.POSITIVE_INFINITY,
      'kv-store',
      'x the delay',
    ),
    atMost(
      'Cross-process invalidation delay p99 against node-redis 5 client-side cache (reported)',
      'tiered-invalidation-p99',
      'node-redis CSC',
      Number.POSITIVE_INFINITY,
      'kv-store',
      'x the delay',
    ),
  ],
};
export default tieredCases;
