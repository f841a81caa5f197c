import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import { assertKnownOptions } from '../../core/validation.js';

/**
 * How Redis decides which invalidations a store receives:
 * - `'default'`: the server remembers the keys this store read and reports a change to one of
 *   them once (until it is read again).
 * - `'broadcast'`: `BCAST PREFIX <keyPrefix>`; the server reports every change under the prefix,
 *   read or not, and keeps no per-key memory.
 */
export type NearCacheTrackingMode = 'default' | 'broadcast';

/**
 * Default `maxAge`, in seconds: the longest a copy is served for a change Redis does not report
 * (SWAPDB). A hot key costs one more read per `maxAge`, so this keeps hit ratios of keys read
 * every few seconds or more often within a few percent of unbounded (see docs/near-cache.md).
 */
export const DEFAULT_NEAR_CACHE_MAX_AGE_SECONDS = 30;

/** Options of the Redis store's in-process near cache (`nearCache`); off when omitted. */
export interface NearCacheOptions {
  /** Most entries held in process (a positive integer); the least recently read go first. */
  maxEntries: number;
  /**
   * Most bytes of values held in process (a positive integer; default unbounded), counted as
   * each value's size in Redis plus its key's length; the least recently read go first, and a
   * value larger than the bound is not held.
   */
  maxBytes?: number;
  /**
   * Seconds a copy may be served after it was read from Redis (a positive number; default 30),
   * whatever Redis reports: the bound for changes it does not report, such as SWAPDB. A key's own
   * TTL still ends the copy earlier.
   */
  maxAge?: number;
  /** Tracking mode (default `'default'`); see `docs/near-cache.md` for the measured choice. */
  mode?: NearCacheTrackingMode;
}

/** Validated near-cache settings. */
export interface ResolvedNearCacheConfig {
  /** Most entries held in process. */
  maxEntries: number;
  /** Most bytes of values held (Infinity: unbounded). */
  maxBytes: number;
  /** How long a copy may be served after its read was sent, in milliseconds. */
  maxAgeMs: number;
  /** Tracking mode. */
  mode: NearCacheTrackingMode;
}

const MODES: readonly NearCacheTrackingMode[] = ['default', 'broadcast'];

/**
 * Validates the `nearCache` option; undefined (or omitted) leaves the near cache off. Throws
 * {@link InvalidOptionsError} naming the faulty field.
 */
export function resolveNearCacheOptions(value: unknown): ResolvedNearCacheConfig | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(
      `nearCache must be an object { maxEntries }; got ${describeValue(value)}`,
    );
  }
  assertKnownOptions(
    value,
    ['maxEntries', 'maxBytes', 'maxAge', 'mode'],
    'nearCache options',
    InvalidOptionsError,
  );
  const {
    maxEntries,
    maxBytes,
    maxAge = DEFAULT_NEAR_CACHE_MAX_AGE_SECONDS,
    mode = 'default',
  } = value as { maxEntries?: unknown; maxBytes?: unknown; maxAge?: unknown; mode?: unknown };
  if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidOptionsError(
      `nearCache.maxEntries must be a positive integer; got ${describeValue(maxEntries)}`,
    );
  }
  if (
    maxBytes !== undefined &&
    (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1)
  ) {
    throw new InvalidOptionsError(
      `nearCache.maxBytes must be a positive integer (bytes); got ${describeValue(maxBytes)}`,
    );
  }
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0) {
    throw new InvalidOptionsError(
      `nearCache.maxAge must be a positive number of seconds; got ${describeValue(maxAge)}`,
    );
  }
  if (!(MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidOptionsError(
      `nearCache.mode must be 'default' or 'broadcast'; got ${describeValue(mode)}`,
    );
  }
  return {
    maxEntries,
    maxBytes: maxBytes ?? Number.POSITIVE_INFINITY,
    maxAgeMs: maxAge * 1000,
    mode: mode as NearCacheTrackingMode,
  };
}
