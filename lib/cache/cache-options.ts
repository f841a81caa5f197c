import { InvalidOptionsError, KvStoreError } from '../core/errors.js';
import { MAX_LEASE_MS } from '../core/lease.js';
import { describeValue } from '../core/describe-value.js';
import { MAX_TTL_SECONDS, ttlToMilliseconds, type Duration, type Ttl } from '../core/ttl.js';
import { assertTags } from './cache-tags-validation.js';

/** Default of `lockWait`: how long a miss waits for another instance's computation (5 s). */
export const DEFAULT_LOCK_WAIT_MS = 5000;
/** Default of `leaseTtl`: how long a dead instance's lease blocks others (3 s). */
export const DEFAULT_LEASE_TTL_MS = 3000;
/** Shortest default of `leaseMaxLifetime` (30 s); see {@link defaultLeaseMaxLifetimeMs}. */
export const MIN_DEFAULT_LEASE_MAX_LIFETIME_MS = 30_000;
/** Longest `leaseMaxLifetime` accepted (one day), in milliseconds. */
export const MAX_LEASE_MAX_LIFETIME_MS = 86_400_000;
/** Default of `graceBackoff` when `grace` is set: a failing loader is tried again after 10 s. */
export const DEFAULT_GRACE_BACKOFF_MS = 10_000;
/**
 * Longest span a Node.js timer can wait (2^31 - 1 ms, about 24.8 days): a longer one fires at
 * once. Bounds every option that becomes a timer (`softTimeout`, `hardTimeout`, `lockWait`).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

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

/**
 * Options that keep a cache answering when its loader or its store fails (see
 * docs/when-things-fail.md). All are off by default.
 */
export interface ResilienceOptions {
  /**
   * Seconds or a duration a value may be served past its `ttl` when the loader throws or runs
   * past a timeout, or when the store cannot be asked (connection, timeout or open circuit).
   * Needs a `ttl`. Off by default.
   */
  grace?: number | Duration;
  /**
   * Seconds or a duration, with `grace`: after the loader failed for a key, calls in this window
   * get the graced value without running the loader again. Default 10 when `grace` is set.
   */
  graceBackoff?: number | Duration;
  /**
   * Seconds or a duration: when a stale or graced value exists and the loader is slower than
   * this, the caller gets that value; the loader goes on and caches its result in the background.
   */
  softTimeout?: number | Duration;
  /**
   * Seconds or a duration: a loader slower than this makes the caller get the graced value when
   * there is one, else reject with `LoaderTimeoutError`; the loader may finish in the background.
   */
  hardTimeout?: number | Duration;
}

/** Tags of a call: fixed strings, or computed from the call's input. */
export type CacheTagsSource = readonly string[] | ((...args: unknown[]) => readonly string[]);

/** The normalized options of one cached call site, times in milliseconds. */
export interface CachePolicy {
  /** Seconds, a duration, `null` (never expires) or `undefined` (the store's `defaultTtl`). */
  readonly ttl: Ttl | undefined;
  /** `ttl` in milliseconds, set when `jitter`, `staleWhileRevalidate` or `grace` need it. */
  readonly ttlMs?: number;
  /** How long after `ttl` a stale entry is still served while one refresh runs, in milliseconds. */
  readonly staleMs?: number;
  /** Fraction of the TTL drawn at random on each write (0.1: ±10%); 0 or absent: none. */
  readonly jitter?: number;
  /** Tags written with each entry, for `invalidateTags`. */
  readonly tags?: CacheTagsSource;
  /** How long a miss waits for another instance's computation, in ms (0: never waits). */
  readonly lockWaitMs?: number;
  /** Lifetime of a computation's lease, in ms, renewed while the computation runs. */
  readonly leaseTtlMs?: number;
  /** Longest a computation or refresh keeps its lease, in ms; past it the lease is given up. */
  readonly leaseMaxLifetimeMs?: number;
  /** How long past `ttl` a value may be served when the loader or the store fails, in ms. */
  readonly graceMs?: number;
  /** How long a key whose loader failed serves its graced value without a new run, in ms. */
  readonly graceBackoffMs?: number;
  /** Soft loader timeout, in ms. */
  readonly softTimeoutMs?: number;
  /** Hard loader timeout, in ms. */
  readonly hardTimeoutMs?: number;
}

/** Names of the options of {@link MultiInstanceCachedOptions}. */
export const MULTI_INSTANCE_OPTION_NAMES = [
  'staleWhileRevalidate',
  'jitter',
  'tags',
  'lockWait',
  'leaseTtl',
  'leaseMaxLifetime',
] as const;

/** Names of the options of {@link ResilienceOptions}. */
export const RESILIENCE_OPTION_NAMES = [
  'grace',
  'graceBackoff',
  'softTimeout',
  'hardTimeout',
] as const;

/** True when entries of `policy` are stored in an envelope that records when they stop being fresh. */
export function usesEnvelope(policy: CachePolicy): boolean {
  return policy.staleMs !== undefined || policy.graceMs !== undefined;
}

/**
 * Validates the multi-instance and resilience options and returns their normalized policy (all
 * but `ttl`). Throws {@link InvalidOptionsError} naming the call site (`where`) and the option.
 * `tags` must be an array of strings unless `accepts.tagFunctions` (`@Cached`, whose tags may be
 * a function of the method's arguments).
 */
export function cachePolicy(
  options: MultiInstanceCachedOptions<never[]> & ResilienceOptions,
  ttl: Ttl | undefined,
  where: string,
  accepts: { readonly tagFunctions?: boolean } = {},
): Omit<CachePolicy, 'ttl'> {
  const { staleWhileRevalidate, jitter, tags, lockWait, leaseTtl, leaseMaxLifetime } = options;
  const staleMs = span(staleWhileRevalidate, 'staleWhileRevalidate', where);
  const graceMs = span(options.grace, 'grace', where);
  if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1))) {
    throw new InvalidOptionsError(
      `${where}: jitter must be a number from 0 to below 1 (0.1 = ±10% of the ttl); got ${describeValue(jitter)}`,
    );
  }
  let ttlMs: number | undefined;
  if (staleMs !== undefined || graceMs !== undefined || (jitter !== undefined && jitter > 0)) {
    const needs =
      staleMs !== undefined ? 'staleWhileRevalidate' : graceMs !== undefined ? 'grace' : 'jitter';
    if (ttl === undefined || ttl === null) {
      throw new InvalidOptionsError(
        `${where}: ${needs} needs a ttl in seconds or a duration; got ${describeValue(ttl)}`,
      );
    }
    ttlMs = ttlToMilliseconds(ttl, 'ttl') as number;
  }
  if (tags !== undefined && !(accepts.tagFunctions === true && typeof tags === 'function')) {
    try {
      assertTags(tags, 'tags');
    } catch (error) {
      throw new InvalidOptionsError(`${where}: ${(error as Error).message}`);
    }
  }
  const lockWaitMs =
    lockWait === 0 ? 0 : (timerSpan(lockWait, 'lockWait', where) ?? DEFAULT_LOCK_WAIT_MS);
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
  if (ttlMs !== undefined) assertStoredTtl(ttlMs, jitter ?? 0, staleMs, graceMs, where);
  return {
    ttlMs,
    staleMs,
    jitter: jitter === 0 ? undefined : jitter,
    tags:
      tags === undefined || (Array.isArray(tags) && tags.length === 0)
        ? undefined
        : Array.isArray(tags)
          ? [...(tags as readonly string[])]
          : (tags as CacheTagsSource),
    lockWaitMs,
    leaseTtlMs,
    leaseMaxLifetimeMs,
    ...resiliencePolicy(options, graceMs, where),
  };
}

/** The resilience part of a policy; only the options given appear, so policies without them stay as they were. */
function resiliencePolicy(
  options: ResilienceOptions,
  graceMs: number | undefined,
  where: string,
): Partial<CachePolicy> {
  const backoffMs =
    options.graceBackoff === 0 ? 0 : span(options.graceBackoff, 'graceBackoff', where);
  if (backoffMs !== undefined && graceMs === undefined) {
    throw new InvalidOptionsError(`${where}: graceBackoff needs grace (seconds or a duration)`);
  }
  const softTimeoutMs = timerSpan(options.softTimeout, 'softTimeout', where);
  const hardTimeoutMs = timerSpan(options.hardTimeout, 'hardTimeout', where);
  if (
    softTimeoutMs !== undefined &&
    hardTimeoutMs !== undefined &&
    softTimeoutMs >= hardTimeoutMs
  ) {
    throw new InvalidOptionsError(
      `${where}: softTimeout (${softTimeoutMs / 1000} s) must be shorter than hardTimeout (${hardTimeoutMs / 1000} s)`,
    );
  }
  const policy: { -readonly [K in keyof CachePolicy]?: CachePolicy[K] } = {};
  if (graceMs !== undefined) {
    policy.graceMs = graceMs;
    policy.graceBackoffMs = backoffMs ?? DEFAULT_GRACE_BACKOFF_MS;
  }
  if (softTimeoutMs !== undefined) policy.softTimeoutMs = softTimeoutMs;
  if (hardTimeoutMs !== undefined) policy.hardTimeoutMs = hardTimeoutMs;
  return policy;
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

/**
 * Throws unless an entry's longest stored TTL (the jittered `ttl` plus the longer of
 * `staleWhileRevalidate` and `grace`) is within what stores accept: otherwise every write would fail.
 */
function assertStoredTtl(
  ttlMs: number,
  jitter: number,
  staleMs: number | undefined,
  graceMs: number | undefined,
  where: string,
): void {
  const afterMs = Math.max(staleMs ?? 0, graceMs ?? 0);
  if (Math.ceil(ttlMs * (1 + jitter)) + afterMs <= MAX_TTL_SECONDS * 1000) return;
  const name = (graceMs ?? 0) >= (staleMs ?? 0) ? 'grace' : 'staleWhileRevalidate';
  throw new InvalidOptionsError(
    `${where}: ttl${jitter > 0 ? ' (with jitter)' : ''} + ${name} must be at most ${MAX_TTL_SECONDS} seconds, the longest TTL a store accepts; got ${Math.round((ttlMs * (1 + jitter) + afterMs) / 1000)}`,
  );
}

/** {@link span}, at most {@link MAX_TIMER_MS}: for options that become a timer. */
function timerSpan(
  value: number | Duration | undefined,
  name: string,
  where: string,
): number | undefined {
  const ms = span(value, name, where);
  if (ms !== undefined && ms > MAX_TIMER_MS) {
    throw new InvalidOptionsError(
      `${where}: ${name} must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24.8 days, the longest a timer can wait); got ${ms / 1000}`,
    );
  }
  return ms;
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
