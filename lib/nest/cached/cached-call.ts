import type { KvStore } from '../../core/kv-store.js';
import type { CacheKeySource } from './cache-key.js';

/** Counters of one cached method (or of all of them). */
export interface CachedMethodStats {
  /** Calls answered from the store with a fresh entry. */
  hits: number;
  /** Calls that ran the method because the store had no entry. */
  misses: number;
  /** Calls that joined a call with the same key already in flight in this process instead of running the method. */
  coalesced: number;
  /** Store reads or writes that failed; the call went on without the cache (and a warning was logged). */
  errors: number;
  /** Calls answered with an entry past its `ttl` but within `staleWhileRevalidate` (a refresh was started or already running). */
  staleServed: number;
  /** Background refreshes this process ran for `staleWhileRevalidate` entries. */
  refreshes: number;
  /** Of those, refreshes whose method call or write failed; the stale entry was kept and a warning logged. */
  refreshFailures: number;
  /** Misses that waited for another instance's computation (shared stores) and got its result. */
  lockWaits: number;
  /** Misses that waited `lockWait` for another instance in vain and then ran the method themselves. */
  lockTimeouts: number;
}

/** The counter names, in the order `getCachedStats` reports them. */
export const COUNTER_NAMES = [
  'hits',
  'misses',
  'coalesced',
  'errors',
  'staleServed',
  'refreshes',
  'refreshFailures',
  'lockWaits',
  'lockTimeouts',
] as const satisfies ReadonlyArray<keyof CachedMethodStats>;

/** Every counter at zero. */
export function zeroCounters(): CachedMethodStats {
  return {
    hits: 0,
    misses: 0,
    coalesced: 0,
    errors: 0,
    staleServed: 0,
    refreshes: 0,
    refreshFailures: 0,
    lockWaits: 0,
    lockTimeouts: 0,
  };
}

/** What the service keeps per `Class.method`. */
export interface MethodState {
  readonly counters: CachedMethodStats;
  /** Bumped by every invalidation, so calls that started before it do not write their result. */
  generation: number;
}

/** One `@Cached` method of one class, with its store resolved (and what its keys are built from). */
export interface CachedMethod extends CacheKeySource {
  /** `Class.method`, used in stats and messages. */
  readonly id: string;
  readonly store: KvStore;
  /** Counters and invalidation generation, shared by every CachedMethod of the same `Class.method`. */
  readonly state: MethodState;
}

/** One call of a cached method, from its key to its result. */
export interface CachedCall {
  readonly cached: CachedMethod;
  readonly instance: object;
  readonly original: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  readonly key: string;
  /** The method's invalidation generation when the call started. */
  readonly generation: number;
}

/** In-flight calls are per store: the same key in two stores is two entries. */
export function flightKey(cached: CachedMethod, key: string): string {
  return `${cached.metadata.store ?? ''}\u0000${key}`;
}
