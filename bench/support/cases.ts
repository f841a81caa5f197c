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
  /**
   * Whether one process measures every subject, alternating between them (the subjects arrive
   * comma-separated in place of one subject name); each repetition is still a fresh process.
   */
  together?: boolean;
}

const MEMORY_PEERS = ['kv-store', 'map+json', 'lru-cache', 'keyv', 'cache-manager'];
const REDIS_PEERS = [
  'kv-store',
  'ioredis',
  'ioredis auto-pipelined',
  'node-redis',
  'keyv + @keyv/redis',
  'cache-manager + @keyv/redis',
];
/** Plain ioredis running the store's put script: the floor of an atomic indexed put. */
const PUT_SCRIPT_FLOOR = 'ioredis + put script';
const CACHED_SUBJECTS = ['cached', 'store.get', 'store.get prebuilt'];
/** A hit of a method with tags and jitter against a plain @Cached hit (swr shown for reference). */
const CACHED_TAGS_SUBJECTS = ['cached tags+jitter', 'cached plain', 'cached swr'];

/** The @Cached hit with tags and jitter (issue 11), on one backend. */
function cachedTagsCase(backend: 'memory' | 'redis'): CaseSpec {
  return {
    id: `cached-tags-hit-${backend}`,
    title: `@Cached hit with tags and jitter against a plain @Cached hit (${backend}, one awaited at a time)`,
    script: 'cached-tags-hit',
    args: [backend],
    subjects: CACHED_TAGS_SUBJECTS,
    unit: 'ops/s',
    redis: backend === 'redis',
    together: true,
  };
}

function memoryCases(sizes: number[]): CaseSpec[] {
  return [
    ...(['get', 'put'] as const).map((op): CaseSpec => ({
      id: `memory-${op}`,
      title: `Memory: ${op}, one awaited at a time`,
      script: 'memory-ops',
      args: [op],
      subjects: MEMORY_PEERS,
      unit: 'ops/s',
    })),
    ...sizes.map((size): CaseSpec => ({
      id: `memory-range-${size}`,
      title: `Memory: rangeGet of 100 keys among ${size.toLocaleString('en-US')}`,
      script: 'memory-range',
      args: [String(size)],
      subjects: ['kv-store', 'map-filter'],
      unit: 'ms',
    })),
    {
      id: 'cached-hit-memory',
      title: '@Cached hit against a direct store.get (memory store, one awaited at a time)',
      script: 'cached-hit',
      args: ['memory'],
      subjects: CACHED_SUBJECTS,
      unit: 'ops/s',
      together: true,
    },
    ...(
      [
        ['telemetry-api-memory', 'API without SDK', 'no SDK registered'],
        ['telemetry-sdk-memory', 'SDK + no-op exporter', 'an SDK with a no-op exporter'],
      ] as const
    ).map(([id, subject, what]): CaseSpec => ({
      id,
      title: `Telemetry cost: memory get with ${what}, against telemetry: false`,
      script: 'telemetry-cost',
      args: [],
      subjects: [subject, 'telemetry off'],
      unit: 'ops/s',
      together: true,
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
}

function redisCases(sizes: number[]): CaseSpec[] {
  return [
    ...(['get', 'put'] as const).map((op): CaseSpec => ({
      id: `redis-${op}-sequential`,
      title: `Redis: ${op}, one awaited at a time`,
      script: 'redis-sequential',
      args: [op],
      // One at a time, a put is round-trip bound: the store's own script run by plain ioredis
      // shows what an atomic indexed put costs before any of the store's code.
      subjects: op === 'put' ? [...REDIS_PEERS, PUT_SCRIPT_FLOOR] : REDIS_PEERS,
      unit: 'ops/s',
      redis: true,
      together: true,
    })),
    ...(['get', 'put'] as const).map((op): CaseSpec => ({
      id: `redis-${op}-1000`,
      title: `Redis: ${op}, 1000 in flight`,
      script: 'redis-ops',
      args: [op, '1000'],
      subjects: REDIS_PEERS,
      unit: 'ops/s',
      redis: true,
    })),
    ...sizes.map((size): CaseSpec => ({
      id: `redis-range-${size}`,
      title: `Redis: rangeGet of 100 keys among ${size.toLocaleString('en-US')}`,
      script: 'redis-range',
      args: [String(size)],
      // A SCAN listing of 1M keys takes tens of seconds per query: it is measured up to 100k.
      subjects: size > 100_000 ? ['kv-store'] : ['kv-store', 'scan-listing'],
      unit: 'ms',
      redis: true,
    })),
    {
      id: 'cached-hit-redis',
      title: '@Cached hit against a direct store.get (Redis store, one awaited at a time)',
      script: 'cached-hit',
      args: ['redis'],
      subjects: CACHED_SUBJECTS,
      unit: 'ops/s',
      redis: true,
      together: true,
    },
    {
      id: 'redis-bytes',
      title: 'Redis: used_memory bytes per key (~200-byte JSON values)',
      script: 'redis-bytes',
      args: [],
      subjects: ['kv-store', 'plain SET'],
      unit: 'bytes/key',
      redis: true,
    },
  ];
}

/**
 * Every case `npm run bench` runs, in order. The quick smoke run uses small stores, so it
 * finishes in about a minute; its figures mean nothing.
 */
export function casesFor(quick: boolean): CaseSpec[] {
  const sizes = quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
  return [
    ...memoryCases(sizes),
    cachedTagsCase('memory'),
    ...redisCases(sizes),
    cachedTagsCase('redis'),
  ];
}
