/** One benchmark case: a script run in a fresh process per subject and repetition. */
export interface CaseSpec {
  /** Stable id used in results.json and targets. */
  id: string;
  /** What the case measures, for RESULTS.md. */
  title: string;
  /** Script under bench/cases, without extension. */
  script: string;
  /** Arguments after the subject name (the quick flag is appended). */
  args: string[];
  /** Contenders; the first is ours. */
  subjects: string[];
  /** `ops/s`: higher is better; `ms` and `bytes/key`: lower is better. */
  unit: 'ops/s' | 'ms' | 'bytes/key';
  /** Extra node flags, such as --expose-gc. */
  nodeFlags?: string[];
  /** Whether the case needs the benchmark's own redis-server (its port arrives in BENCH_REDIS_PORT). */
  redis?: boolean;
}

const MEMORY_PEERS = ['kv-store', 'map+json', 'lru-cache', 'keyv', 'cache-manager'];

/** Every case `npm run bench` runs, in order. */
export const CASES: CaseSpec[] = [
  {
    id: 'memory-get',
    title: 'Memory: get, one awaited at a time',
    script: 'memory-ops',
    args: ['get'],
    subjects: MEMORY_PEERS,
    unit: 'ops/s',
  },
  {
    id: 'memory-put',
    title: 'Memory: put, one awaited at a time',
    script: 'memory-ops',
    args: ['put'],
    subjects: MEMORY_PEERS,
    unit: 'ops/s',
  },
  ...[10_000, 100_000, 1_000_000].map((size): CaseSpec => ({
    id: `memory-range-${size}`,
    title: `Memory: rangeGet of 100 keys among ${size.toLocaleString('en-US')}`,
    script: 'memory-range',
    args: [String(size)],
    subjects: ['kv-store', 'map-filter'],
    unit: 'ms',
  })),
  {
    id: 'memory-bytes',
    title: 'Memory: heap bytes per key (~200-byte JSON values)',
    script: 'memory-bytes',
    args: [],
    subjects: ['kv-store', 'map+json'],
    unit: 'bytes/key',
    nodeFlags: ['--expose-gc'],
  },
];
