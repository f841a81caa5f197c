import { InvalidOptionsError, KvStoreError } from '../../core/errors.js';
import { MAX_LEASE_MS } from '../../core/lease.js';
import { describeValue } from '../../core/describe-value.js';
import { ttlToMilliseconds, type Duration, type Ttl } from '../../core/ttl.js';
import { assertTags } from './cache-tags-validation.js';
import type { CachedMethodMetadata, CachedTagsSource } from './cached.metadata.js';

/** Default of `lockWait`: how long a miss waits for another instance's computation (5 s). */
export const DEFAULT_LOCK_WAIT_MS = 5000;
/** Default of `leaseTtl`: how long a dead instance's lease blocks others (3 s). */
export const DEFAULT_LEASE_TTL_MS = 3000;
/** Shortest default of `leaseMaxLifetime` (30 s); see {@link defaultLeaseMaxLifetimeMs}. */
export const MIN_DEFAULT_LEASE_MAX_LIFETIME_MS = 30_000;
/** Longest `leaseMaxLifetime` accepted (one day), in milliseconds. */
export const MAX_LEASE_MAX_LIFETIME_MS = 86_400_000;

/** The `@Cached` options for apps that run as several instances (see docs/multi-instance.md). */
export interface MultiInstanceCachedOptions<Args extends readonly unknown[]> {
  /**
   * Seconds or a duration: after `ttl`, a call still gets the old result for this long while one
   * refresh runs in the background (one per key across instances on Redis). Needs a `ttl`.
   */
  staleWhileRevalidate?: number | Duration;
  /**
   * Fraction of the TTL added or removed at random on each write (`0.1`: ±10%), so entries
   * written together do not expire together. From 0 to below 1; needs a `ttl`.
   */
  jitter?: number;
  /**
   * Tags of each cached result, for `KvCacheService.invalidateTags`: fixed strings or a function
   * of the call's arguments, such as `(id) => ['user:' + id]`. Evaluated only on misses.
   */
  tags?: readonly string[] | ((...args: Args) => readonly string[]);
  /**
   * Seconds or a duration a miss waits for the instance that holds the key's lease (shared
   * stores only, such as Redis); then it computes itself. Default 5; `0`: never wait for
   * other instances (coalescing stays per process).
   */
  lockWait?: number | Duration;
  /**
   * Seconds or a duration a computation's lease lives; renewed while the computation runs, so
   * it only bounds how long a crashed instance blocks others. Default 3.
   */
  leaseTtl?: number | Duration;
  /**
   * Seconds or a duration a computation or refresh keeps its lease at most: one still running
   * then is taken for hung, gives the lease up (a warning is logged) and goes on running, so
   * another instance can compute the key. Default: the longest of 30 s, twice `lockWait` and
   * `leaseTtl` (at most one day). At most one day.
   */
  leaseMaxLifetime?: number | Duration;
}

/** Names of the options above. */
export const MULTI_INSTANCE_OPTION_NAMES = [
  'staleWhileRevalidate',
  'jitter',
  'tags',
  'lockWait',
  'leaseTtl',
  'leaseMaxLifetime',
] as const;

type Extra = Pick<
  CachedMethodMetadata,
  'ttlMs' | 'staleMs' | 'jitter' | 'tags' | 'lockWaitMs' | 'leaseTtlMs' | 'leaseMaxLifetimeMs'
>;

/**
 * Validates the multi-instance options and returns their normalized metadata. Throws
 * {@link InvalidOptionsError} naming the method (`where`) and the option.
 */
export function multiInstanceMetadata(
  options: MultiInstanceCachedOptions<never[]>,
  ttl: Ttl | undefined,
  where: string,
): Extra {
  const { staleWhileRevalidate, jitter, tags, lockWait, leaseTtl, leaseMaxLifetime } = options;
  const staleMs = span(staleWhileRevalidate, 'staleWhileRevalidate', where);
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1))) {
    throw new InvalidOptionsError(
      `${where}: jitter must be a number from 0 to below 1 (0.1 = ±10% of the ttl); got ${describeValue(jitter)}`,
    );
  }
  let ttlMs: number | undefined;
  if (staleMs !== undefined || (jitter !== undefined && jitter > 0)) {
    const needs = staleMs !== undefined ? 'staleWhileRevalidate' : 'jitter';
    if (ttl === undefined || ttl === null) {
      throw new InvalidOptionsError(
        `${where}: ${needs} needs a ttl in seconds or a duration; got ${describeValue(ttl)}`,
      );
    }
    ttlMs = ttlToMilliseconds(ttl, 'ttl') as number;
  }
  if (tags !== undefined && typeof tags !== 'function') {
    try {
      assertTags(tags, 'tags');
    } catch (error) {
      throw new InvalidOptionsError(`${where}: ${(error as Error).message}`);
    }
  }
  const lockWaitMs =
    lockWait === 0 ? 0 : (span(lockWait, 'lockWait', where) ?? DEFAULT_LOCK_WAIT_MS);
  const leaseTtlMs = span(leaseTtl, 'leaseTtl', where) ?? DEFAULT_LEASE_TTL_MS;
  if (leaseTtlMs > MAX_LEASE_MS) {
    throw new InvalidOptionsError(
      `${where}: leaseTtl must be at most ${MAX_LEASE_MS / 1000} seconds (it is renewed while the method runs)`,
    );
  }
  const leaseMaxLifetimeMs =
    span(leaseMaxLifetime, 'leaseMaxLifetime', where) ??
    defaultLeaseMaxLifetimeMs(lockWaitMs, leaseTtlMs);
  if (leaseMaxLifetimeMs > MAX_LEASE_MAX_LIFETIME_MS) {
    throw new InvalidOptionsError(
      `${where}: leaseMaxLifetime must be at most ${MAX_LEASE_MAX_LIFETIME_MS / 1000} seconds; got ${leaseMaxLifetimeMs / 1000}`,
    );
  }
  return {
    ttlMs,
    staleMs,
    jitter: jitter === 0 ? undefined : jitter,
    tags:
      tags === undefined || (Array.isArray(tags) && tags.length === 0)
        ? undefined
        : Array.isArray(tags)
          ? [...(tags as readonly string[])]
          : (tags as CachedTagsSource),
    lockWaitMs,
    leaseTtlMs,
    leaseMaxLifetimeMs,
  };
}

/**
 * The default `leaseMaxLifetime`, in ms: the longest of 30 s, twice `lockWait` (callers are told
 * to set it above the method's usual duration) and `leaseTtl` (a lease as long as that was asked for).
 */
export function defaultLeaseMaxLifetimeMs(lockWaitMs: number, leaseTtlMs: number): number {
  return Math.min(
    MAX_LEASE_MAX_LIFETIME_MS,
    Math.max(MIN_DEFAULT_LEASE_MAX_LIFETIME_MS, 2 * lockWaitMs, leaseTtlMs),
  );
}

/** A positive span of time in milliseconds, or undefined when the option is absent. */
function span(
  value: number | Duration | undefined,
  name: string,
  where: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (value === null) {
    throw new InvalidOptionsError(`${where}: ${name} must be seconds or a duration; got null`);
  }
  try {
    return ttlToMilliseconds(value, name) as number;
  } catch (error) {
    if (!(error instanceof KvStoreError)) throw error;
    throw new InvalidOptionsError(`${where}: ${error.message}`);
  }
}
