import type { CaseModule } from '../support/case-module.js';
import { figureOf } from '../support/results.js';
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
      subjects: ['kv-store', 'kv-store getOrSet', 'bentocache'],
      rows: [
        {
          id: 'tiered-getorset-hit',
          title:
            'Cache-aside hit answered in process: @Cached and KvCache.getOrSet on a near-cached Redis store vs bentocache getOrSet with an L1 hit (one at a time)',
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
        title: `Cross-process invalidation delay: write acknowledged in process B to process A's first read of the new value (A reading in a loop), p${percentile} of 300 (median of 3 rounds)`,
        unit: 'ms' as const,
      })),
      redis: true,
    },
    {
      script: 'tiered-cold-key',
      args: [],
      subjects: ['kv-store', 'bentocache'],
      rows: [
        {
          id: 'tiered-cold-key-runs',
          title:
            'Loader runs for a cold key: 4 processes x 25 concurrent callers, loader of 200 ms (@Cached vs bentocache getOrSet)',
          unit: 'count',
        },
        {
          id: 'tiered-cold-key-ms',
          title:
            'Time until all 100 callers of the cold key had its value (4 processes x 25 callers, loader of 200 ms)',
          unit: 'ms',
        },
      ],
      redis: true,
    },
    {
      // Starts and pauses its own redis-server, not the shared one.
      script: 'tiered-paused',
      args: [],
      // Ours first as a user who wants answers through a pause sets it up (getOrSet with grace),
      // then @Cached as existing code has it (no grace), without and with the breaker.
      subjects: [
        'kv-store getOrSet + grace',
        'kv-store',
        'kv-store + breaker',
        'bentocache',
        'node-redis CSC',
      ],
      rows: [
        ...(['50', '99'] as const).map((percentile) => ({
          id: `tiered-paused-p${percentile}`,
          title: `Redis paused (SIGSTOP) for 6 s: p${percentile} latency of a call for a held key, one call every 50 ms (KvCache.getOrSet with grace: 3600, and @Cached without and with circuitBreaker: true, on a near-cached store, vs bentocache getOrSet vs node-redis CSC GET; timeouts 2 s)`,
          unit: 'ms' as const,
        })),
        {
          id: 'tiered-paused-p99-after-wait',
          title:
            'Redis paused (SIGSTOP) for 6 s: p99 latency of the calls that started after the first call slower than 50 ms had ended (that wait itself when none did within the window)',
          unit: 'ms' as const,
        },
        {
          id: 'tiered-paused-slow',
          title: 'Redis paused (SIGSTOP) for 6 s: calls for a held key slower than 50 ms',
          unit: 'count' as const,
        },
        {
          id: 'tiered-paused-failed',
          title: 'Redis paused (SIGSTOP) for 6 s: calls for a held key that failed',
          unit: 'count' as const,
        },
        {
          id: 'tiered-paused-loader-runs',
          title: 'Redis paused (SIGSTOP) for 6 s: loader runs for held keys',
          unit: 'count' as const,
        },
      ],
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
    atLeast(
      'getOrSet hit >= 1.5x bentocache getOrSet hit',
      'tiered-getorset-hit',
      'bentocache',
      1.5,
      undefined,
      'kv-store getOrSet',
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
    {
      description:
        'Loader runs for a cold key across 4 processes x 25 callers: one (cross-instance single-flight)',
      check: (results) => {
        const ours = figureOf(results, 'tiered-cold-key-runs', 'kv-store');
        if (ours === undefined) return undefined;
        const bento = figureOf(results, 'tiered-cold-key-runs', 'bentocache');
        return {
          measured: `${ours}${bento === undefined ? '' : ` (bentocache: ${bento})`}`,
          met: ours <= 1,
          ratio: ours,
          threshold: 1,
          higherIsBetter: false,
        };
      },
    },
    {
      description:
        'Redis paused: a getOrSet call with grace for a held key answers in <= 50 ms p99 after at most one wait for Redis (one call every 50 ms for 6 s)',
      check: (results) => {
        const ours = 'kv-store getOrSet + grace';
        const p99 = figureOf(results, 'tiered-paused-p99-after-wait', ours);
        const slow = figureOf(results, 'tiered-paused-slow', ours);
        if (p99 === undefined || slow === undefined) return undefined;
        const peers = ['kv-store', 'kv-store + breaker', 'bentocache', 'node-redis CSC']
          .map((peer) => [peer, figureOf(results, 'tiered-paused-p99', peer)] as const)
          .filter((p): p is readonly [string, number] => p[1] !== undefined)
          .map(([peer, ms]) => `${peer} ${ms.toFixed(1)} ms`);
        const whole = figureOf(results, 'tiered-paused-p99', ours) ?? Number.NaN;
        return {
          measured: `${p99.toFixed(1)} ms after ${slow} slow call(s); p99 of every call ${whole.toFixed(1)} ms (${peers.join(', ')})`,
          met: p99 <= 50 && slow <= 1,
          ratio: p99 / 50,
          threshold: 1,
          higherIsBetter: false,
        };
      },
    },
  ],
};
export default tieredCases;
