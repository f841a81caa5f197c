import type { CaseModule } from '../support/case-module.js';
import type { Job } from '../support/job.js';
import { pairedRatio, type RunResults } from '../support/results.js';
import { atLeast, atMost, scaling } from '../support/targets.js';

const MEMORY_PEERS = ['kv-store', 'map+json', 'lru-cache', 'keyv', 'cache-manager'];
/** At a million keys, the peers the targets name: the others keep object references anyway. */
const MEMORY_PEERS_1M = ['kv-store', 'map+json', 'keyv'];

/**
 * Where a ratio against keyv can go at most: a bare Map of JSON strings (a Map call and JSON, no
 * store around it) against keyv, paired in the same rounds. At 1M keys both spend most of a call
 * on cache misses, which no store code can remove.
 */
function floorAgainstKeyv(rowId: string): (results: RunResults) => string | undefined {
  return (results) => {
    const r = pairedRatio(results, rowId, 'map+json', 'keyv');
    return r === undefined ? undefined : `a bare Map+JSON: ${r.toFixed(2)}x keyv`;
  };
}

function opsJob(size: number, subjects: string[]): Job {
  const label = size.toLocaleString('en-US');
  return {
    script: 'memory-ops',
    args: [String(size)],
    subjects,
    rows: [
      {
        id: `memory-put-new-${size}`,
        title: `Memory: put of a NEW key (random order) into ~${label} keys, one awaited at a time`,
        unit: 'ops/s',
      },
      {
        id: `memory-put-overwrite-${size}`,
        title: `Memory: put overwriting an existing key among ${label}, one awaited at a time`,
        unit: 'ops/s',
      },
      {
        id: `memory-get-${size}`,
        title: `Memory: get of an existing key among ${label}, one awaited at a time`,
        unit: 'ops/s',
      },
    ],
    // Two fresh processes at both sizes: at 1M the same job's paired ratio against keyv read
    // 3.00x to 3.91x in five processes of one afternoon (bench/notes/investigations.md), so one process of
    // 11 rounds could land on either side of a 3x target. The second costs about 45 s at 1M.
    repetitions: 2,
    // --max-old-space-size: three contenders holding a million ~200-byte values each.
    nodeFlags: ['--max-old-space-size=6144'],
  };
}

const memoryCases: CaseModule = {
  order: 10,
  jobs: (quick) => {
    const sizes = quick ? [5_000, 20_000] : [100_000, 1_000_000];
    const rangeSizes = quick ? [1_000, 5_000] : [10_000, 100_000, 1_000_000];
    return [
      opsJob(sizes[0] as number, MEMORY_PEERS),
      opsJob(sizes[1] as number, MEMORY_PEERS_1M),
      {
        script: 'memory-range',
        args: [rangeSizes.join(',')],
        subjects: ['kv-store', 'map-filter'],
        rows: rangeSizes.map((size) => ({
          id: `memory-range-${size}`,
          title: `Memory: rangeGet of 100 keys among ${size.toLocaleString('en-US')}`,
          unit: 'ms' as const,
        })),
        repetitions: 1,
        nodeFlags: ['--max-old-space-size=4096'],
      },
      {
        script: 'memory-bytes',
        args: [],
        subjects: ['kv-store', 'map+json'],
        rows: [
          {
            id: 'memory-bytes',
            title: 'Memory: heap bytes per key (~200-byte JSON values)',
            unit: 'bytes/key',
          },
        ],
        repetitions: 1,
        nodeFlags: ['--expose-gc'],
      },
    ];
  },
  targets: [
    ...[100_000, 1_000_000].flatMap((size) => {
      const at = size === 100_000 ? '100k' : '1M';
      return [
        atLeast(
          `Memory put of new keys at ${at} >= 0.7x Map+JSON`,
          `memory-put-new-${size}`,
          'map+json',
          0.7,
        ),
        atLeast(
          `Memory put of new keys at ${at} >= 3x keyv`,
          `memory-put-new-${size}`,
          'keyv',
          3,
          floorAgainstKeyv(`memory-put-new-${size}`),
        ),
        atLeast(
          `Memory put overwriting at ${at} >= 0.8x Map+JSON`,
          `memory-put-overwrite-${size}`,
          'map+json',
          0.8,
        ),
        atLeast(
          `Memory put overwriting at ${at} >= 3x keyv`,
          `memory-put-overwrite-${size}`,
          'keyv',
          3,
        ),
        atLeast(`Memory get at ${at} >= 0.8x Map+JSON`, `memory-get-${size}`, 'map+json', 0.8),
        atLeast(
          `Memory get at ${at} >= 3x keyv`,
          `memory-get-${size}`,
          'keyv',
          3,
          floorAgainstKeyv(`memory-get-${size}`),
        ),
      ];
    }),
    scaling(
      'Memory rangeGet(100) at 1M keys within 2x of its time at 10k (paired, one process)',
      'memory-range-1000000',
      'memory-range-10000',
      2,
    ),
    atMost(
      'Memory bytes per key <= 1.5x a raw Map of JSON strings',
      'memory-bytes',
      'map+json',
      1.5,
    ),
  ],
};
export default memoryCases;
