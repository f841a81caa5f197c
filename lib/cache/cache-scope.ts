import type { CachePolicy } from './cache-options.js';
import type { LoaderRun } from './loader-context.js';

/** Counters of one cached method or `getOrSet` group (or of all of them). */
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
  /**
   * Calls answered with a value within `grace` because the loader failed or passed its hard
   * timeout, its key was in `graceBackoff`, or the store could not be asked. Present once counted.
   */
  staleOnError?: number;
  /** Calls answered with a stale or graced value at the `softTimeout`. Present once counted. */
  softTimeouts?: number;
  /** Calls that passed the `hardTimeout` (graced or rejected with `LoaderTimeoutError`). Present once counted. */
  hardTimeouts?: number;
}

/** The counters present in every stats record, in the order stats report them. */
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

/** Counters of the resilience options, present in a record once one of them counted. */
export const RESILIENCE_COUNTER_NAMES = [
  'staleOnError',
  'softTimeouts',
  'hardTimeouts',
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

/** Adds one to a resilience counter, creating it at its first count. */
export function countResilience(
  counters: CachedMethodStats,
  name: (typeof RESILIENCE_COUNTER_NAMES)[number],
): void {
  counters[name] = (counters[name] ?? 0) + 1;
}

/** What a cache keeps per method or group. */
export interface ScopeState {
  readonly counters: CachedMethodStats;
  /** Bumped by every invalidation, so calls that started before it do not write their result. */
  generation: number;
}

/**
 * One call site of the cache: a `@Cached` method of one instance, or the `getOrSet` calls of
 * a cache. `Input` is what one call passes (the method's arguments, or the loader).
 */
export interface CacheScope<Input = unknown> {
  /** `Class.method` or the cache's name, used in stats, spans and metrics. */
  readonly id: string;
  /** How messages name the call site, such as `@Cached UserService.find`. */
  readonly label: string;
  readonly policy: CachePolicy;
  /** Counters and invalidation generation, shared by every scope of the same `id`. */
  readonly state: ScopeState;
  /** The store key of one call; throws when none can be built. */
  keyOf(input: Input): string;
  /** Runs the loader of one call; returns what it returns (a value or a Promise). */
  load(input: Input, context: LoaderRun): unknown;
  /** The validated tags of one call (evaluated on misses only), or undefined. */
  tagsOf(input: Input): readonly string[] | undefined;
  /** Whether a result may be cached (the `condition` option). */
  keeps(result: unknown, input: Input): boolean;
}

/** One call, from its key to its result. */
export interface CacheCall<Input = unknown> {
  readonly scope: CacheScope<Input>;
  readonly input: Input;
  readonly key: string;
  /** The scope's invalidation generation when the call started. */
  readonly generation: number;
  /** The cache's count of invalidations (any key, prefix or tag) when the call started. */
  readonly invalidations: number;
  /** `performance.now()` when the call started, for its loader timeouts. */
  readonly startedAt: number;
  /** The value past its ttl that this call may fall back on (grace), or undefined. */
  readonly stale?: HeldEntry;
  /**
   * The call's own read found the store unavailable: its load takes no lease and writes nothing,
   * so the caller waits the store's `timeout` once, not once per step.
   */
  readonly storeUnavailable?: boolean;
}

/** A value with the times that bound its use, in milliseconds since the epoch. */
export interface HeldEntry {
  readonly value: unknown;
  /** When the value stops being fresh. */
  readonly freshUntil: number;
}
