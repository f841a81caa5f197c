import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../core/errors.js';
import type { CommonStoreOptions } from '../core/types.js';

/** Options of the in-memory store (`createStore({ type: 'memory', ... })`). */
export interface MemoryStoreOptions extends CommonStoreOptions {
  /**
   * Most entries kept (default: unbounded). Beyond it an expired entry is freed if there is one,
   * else the least recently used entry is evicted; every read (get, getMany, exists, ttl,
   * increment, and the entries rangeGet and iterate return) and every write counts as use.
   */
  maxEntries?: number;
  /**
   * Clock in milliseconds since the epoch (default `Date.now`). For tests that move time
   * forward without waiting.
   */
  now?: () => number;
  /** How often the active expiry sweep runs, in seconds (default 0.1). */
  sweepInterval?: number;
}

/** Every option name the memory store accepts, for unknown-option errors. */
export const MEMORY_STORE_OPTION_NAMES = [
  'serializer',
  'defaultTtl',
  'telemetry',
  'maxEntries',
  'now',
  'sweepInterval',
] as const;

const DEFAULT_SWEEP_INTERVAL_SECONDS = 0.1;

/** The `maxEntries` bound, or null when unbounded; throws `InvalidOptionsError` when invalid. */
export function validateMaxEntries(maxEntries: unknown): number | null {
  if (maxEntries === undefined) return null;
  if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw new InvalidOptionsError(
      `maxEntries must be a positive integer; got ${describeValue(maxEntries)}`,
    );
  }
  return maxEntries;
}

/** The sweep interval in milliseconds; throws `InvalidOptionsError` when invalid. */
export function validateSweepInterval(seconds: unknown): number {
  if (seconds === undefined) return DEFAULT_SWEEP_INTERVAL_SECONDS * 1000;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidOptionsError(
      `sweepInterval must be a positive number of seconds; got ${describeValue(seconds)}`,
    );
  }
  return Math.max(1, seconds * 1000);
}
