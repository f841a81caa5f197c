import { pairedRatio, type RunResults } from './results.js';

/** A target from the benchmark issue, checked against the figures of one run. */
export interface Target {
  description: string;
  /** Undefined when the run did not include the cases the target needs. */
  check(results: RunResults): { measured: string; met: boolean } | undefined;
}

const ratio = pairedRatio;

/**
 * Higher-is-better ratio target: ours / peer >= min. With `floor`, the measured cell also shows
 * the same ratio for that reference subject: what the job costs before any of the store's code.
 */
function atLeast(
  description: string,
  id: string,
  peer: string,
  min: number,
  floor?: { subject: string; label: string },
): Target {
  return {
    description,
    check: (results) => {
      const r = ratio(results, id, 'kv-store', peer);
      if (r === undefined) return undefined;
      const floorRatio = floor && ratio(results, id, floor.subject, peer);
      const context =
        floor && floorRatio !== undefined ? ` (${floor.label}: ${floorRatio.toFixed(2)}x)` : '';
      return { measured: `${r.toFixed(2)}x${context}`, met: r >= min };
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
    check: (results) => {
      const r = ratio(results, id, ours, peer);
      return r === undefined ? undefined : { measured: `${r.toFixed(2)}x`, met: r <= max };
    },
  };
}

/** rangeGet(100) at 1M keys takes at most 2x its time at 10k keys. */
function rangeScaling(title: string, backend: string): Target {
  return {
    description: `${title} rangeGet(100) at 1M keys within 2x of its time at 10k`,
    check: ({ figures }) => {
      // Different cases run minutes apart, so this compares medians rather than pairs.
      const small = figures[`${backend}-range-10000`]?.['kv-store'];
      const large = figures[`${backend}-range-1000000`]?.['kv-store'];
      if (small === undefined || large === undefined) return undefined;
      return { measured: `${(large / small).toFixed(2)}x`, met: large / small <= 2 };
    },
  };
}

/** The targets of the benchmark issue. */
export const TARGETS: Target[] = [
  atLeast('Memory get >= 0.8x the raw Map+JSON limit', 'memory-get', 'map+json', 0.8),
  atLeast('Memory put >= 0.7x the raw Map+JSON limit', 'memory-put', 'map+json', 0.7),
  atLeast('Memory get >= 3x keyv', 'memory-get', 'keyv', 3),
  atLeast('Memory put >= 3x keyv', 'memory-put', 'keyv', 3),
  rangeScaling('Memory', 'memory'),
  atMost('Memory bytes per key <= 1.5x a raw Map of JSON strings', 'memory-bytes', 'map+json', 1.5),
  atLeast('Redis get, 1000 in flight, >= 1.0x raw node-redis', 'redis-get-1000', 'node-redis', 1.0),
  atLeast(
    'Redis put (index kept up to date), 1000 in flight, >= 1.0x raw auto-pipelined ioredis SET',
    'redis-put-1000',
    'ioredis auto-pipelined',
    1.0,
  ),
  atLeast('Redis get, one at a time, >= 0.9x raw ioredis', 'redis-get-sequential', 'ioredis', 0.9),
  atLeast('Redis put, one at a time, >= 0.9x raw ioredis', 'redis-put-sequential', 'ioredis', 0.9, {
    subject: 'ioredis + put script',
    label: 'plain ioredis running the same put script',
  }),
  rangeScaling('Redis', 'redis'),
  {
    description: 'Redis rangeGet(100) >= 100x faster than a SCAN listing at 100k keys',
    check: (results) => {
      const ours = ratio(results, 'redis-range-100000', 'kv-store', 'scan-listing');
      if (ours === undefined) return undefined;
      return { measured: `${(1 / ours).toFixed(0)}x`, met: 1 / ours >= 100 };
    },
  },
  {
    description: '@Cached hit <= 1.2x the time of store.get (memory; the caller builds the key)',
    check: (results) => cachedRatio(results, 'cached-hit-memory', 'store.get'),
  },
  {
    description: '@Cached hit <= 1.2x the time of store.get (Redis; the caller builds the key)',
    check: (results) => cachedRatio(results, 'cached-hit-redis', 'store.get'),
  },
  ...(['memory', 'redis'] as const).map((backend): Target => ({
    description: `@Cached hit with tags and jitter <= 1.2x the time of a plain @Cached hit (${backend})`,
    check: (results) =>
      subjectTimeRatio(
        results,
        `cached-tags-hit-${backend}`,
        'cached tags+jitter',
        'cached plain',
        1.2,
      ),
  })),
  {
    description:
      'Memory get with @opentelemetry/api and no SDK <= 1.03x the time of telemetry: false',
    check: (results) => timeRatio(results, 'telemetry-api-memory', 'API without SDK', 1.03),
  },
  {
    description:
      'Memory get with an SDK and a no-op exporter: time against telemetry: false (reported)',
    check: (results) => timeRatio(results, 'telemetry-sdk-memory', 'SDK + no-op exporter'),
  },
  atMost(
    'Redis: the range index adds <= 40% to the bytes per key of plain SET keys',
    'redis-bytes',
    'plain SET',
    1.4,
  ),
];

/** Time ratio of an instrumented get to `telemetry off`, from rates; no max: only reported. */
function timeRatio(
  results: RunResults,
  id: string,
  subject: string,
  max?: number,
): { measured: string; met: boolean } | undefined {
  const r = ratio(results, id, 'telemetry off', subject);
  if (r === undefined) return undefined;
  return { measured: `${r.toFixed(3)}x the time`, met: max === undefined || r <= max };
}

/** Time ratio of a @Cached hit to a peer, from rates: time = 1 / rate. */
function cachedRatio(
  results: RunResults,
  id: string,
  peer: string,
): { measured: string; met: boolean } | undefined {
  const r = ratio(results, id, peer, 'cached');
  return r === undefined ? undefined : { measured: `${r.toFixed(2)}x the time`, met: r <= 1.2 };
}

/** Time ratio of `subject` to `peer` (both ops/s), met when at most `max`. */
function subjectTimeRatio(
  results: RunResults,
  id: string,
  subject: string,
  peer: string,
  max: number,
): { measured: string; met: boolean } | undefined {
  const r = ratio(results, id, peer, subject);
  return r === undefined ? undefined : { measured: `${r.toFixed(2)}x the time`, met: r <= max };
}
