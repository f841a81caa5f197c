import type { CaseModule } from '../support/case-module.js';
import { pairedRatio, type RunResults } from '../support/results.js';
import { atLeast, atMost, fastestOf, scaling, type Target } from '../support/targets.js';

/** Plain clients sending GET/SET: the targets compare against the fastest of them, per row. */
export const RAW_CLIENTS = ['ioredis', 'ioredis auto-pipelined', 'node-redis 5', 'node-redis 6'];
const REDIS_PEERS = [
  'kv-store',
  ...RAW_CLIENTS,
  'keyv + @keyv/redis',
  'cache-manager + @keyv/redis',
];
/** Plain ioredis running the store's put script: the floor of an atomic indexed put. */
const PUT_SCRIPT_FLOOR = 'ioredis + put script';

const PATTERNS = {
  burst: '1000 issued in one tick, awaited together',
  window: '1000 workers, each awaiting its call and issuing the next',
  sequential: 'one awaited at a time',
} as const;

function againstFastest(op: 'get' | 'put', pattern: keyof typeof PATTERNS, min: number): Target {
  const id = `redis-${op}-${pattern}`;
  return atLeast(
    `Redis ${op}, ${PATTERNS[pattern]}, >= ${min.toFixed(1)}x the fastest raw client`,
    id,
    (results) => fastestOf(results, id, RAW_CLIENTS),
    min,
    (results: RunResults) => {
      if (op !== 'put') return undefined;
      // What the same atomic indexed put costs without any of the store's code around it.
      const floor = pairedRatio(results, id, PUT_SCRIPT_FLOOR, fastestOf(results, id, RAW_CLIENTS));
      return floor === undefined
        ? undefined
        : `plain ioredis running the put script: ${floor.toFixed(2)}x`;
    },
  );
}

const redisCases: CaseModule = {
  order: 20,
  jobs: (quick) => {
    const rangeSizes = quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
    return [
      ...(['get', 'put'] as const).map((op) => ({
        script: 'redis-ops',
        args: [op],
        subjects: [...REDIS_PEERS, PUT_SCRIPT_FLOOR],
        rows: (Object.keys(PATTERNS) as Array<keyof typeof PATTERNS>).map((pattern) => ({
          id: `redis-${op}-${pattern}`,
          title: `Redis: ${op}, ${PATTERNS[pattern]}`,
          unit: 'ops/s' as const,
        })),
        redis: true,
      })),
      {
        script: 'redis-range',
        args: [rangeSizes.join(',')],
        subjects: ['kv-store', 'scan-listing'],
        rows: rangeSizes.map((size) => ({
          id: `redis-range-${size}`,
          title: `Redis: rangeGet of 100 keys among ${size.toLocaleString('en-US')}`,
          unit: 'ms' as const,
        })),
        repetitions: 1,
        redis: true,
      },
      {
        script: 'redis-bytes',
        args: [],
        subjects: ['kv-store', 'plain SET'],
        rows: [
          {
            id: 'redis-bytes',
            title: 'Redis: used_memory bytes per key (~200-byte JSON values)',
            unit: 'bytes/key' as const,
          },
        ],
        repetitions: 1,
        redis: true,
      },
    ];
  },
  targets: [
    againstFastest('get', 'burst', 1),
    againstFastest('get', 'window', 1),
    againstFastest('put', 'burst', 1),
    againstFastest('put', 'window', 1),
    againstFastest('get', 'sequential', 0.9),
    againstFastest('put', 'sequential', 0.9),
    scaling(
      'Redis rangeGet(100) at 1M keys within 2x of its time at 10k (paired, one process)',
      'redis-range-1000000',
      'redis-range-10000',
      2,
    ),
    {
      description: 'Redis rangeGet(100) >= 100x faster than a SCAN listing at 100k keys',
      check: (results) => {
        const r = pairedRatio(results, 'redis-range-100000', 'scan-listing', 'kv-store');
        if (r === undefined) return undefined;
        return {
          measured: `${r.toFixed(0)}x`,
          met: r >= 100,
          ratio: r,
          threshold: 100,
          higherIsBetter: true,
        };
      },
    },
    atMost(
      'Redis: the range index adds <= 40% to the bytes per key of plain SET keys',
      'redis-bytes',
      'plain SET',
      1.4,
    ),
  ],
};
export default redisCases;
