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
