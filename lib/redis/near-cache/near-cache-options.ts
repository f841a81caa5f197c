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

/** Options of the Redis store's in-process near cache (`nearCache`); off when omitted. */
export interface NearCacheOptions {
  /** Most entries held in process (a positive integer); the least recently read go first. */
  maxEntries: number;
  /** Tracking mode (default `'default'`); see `docs/near-cache.md` for the measured choice. */
  mode?: NearCacheTrackingMode;
}

/** Validated near-cache settings. */
export interface ResolvedNearCacheConfig {
  /** Most entries held in process. */
  maxEntries: number;
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
  assertKnownOptions(value, ['maxEntries', 'mode'], 'nearCache options', InvalidOptionsError);
  const { maxEntries, mode = 'default' } = value as { maxEntries?: unknown; mode?: unknown };
  if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidOptionsError(
      `nearCache.maxEntries must be a positive integer; got ${describeValue(maxEntries)}`,
    );
  }
  if (!(MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidOptionsError(
      `nearCache.mode must be 'default' or 'broadcast'; got ${describeValue(mode)}`,
    );
  }
  return { maxEntries, mode: mode as NearCacheTrackingMode };
}
