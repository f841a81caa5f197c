import type { Ttl } from '../../core/ttl.js';

/** Reflect metadata key under which `@Cached` records its options on the decorated method. */
export const CACHED_METADATA = 'nestjs-kv-store:cached';

/** Tags of a call: fixed strings, or computed from the call's arguments. */
export type CachedTagsSource = readonly string[] | ((...args: unknown[]) => readonly string[]);

/** The normalized options `@Cached` records; read back by the explorer and `KvCacheService`. */
export interface CachedMethodMetadata {
  /** Seconds, a duration, `null` (never expires) or `undefined` (the store's `defaultTtl`). */
  readonly ttl: Ttl | undefined;
  /** Builds the argument part of the key instead of the stable encoding of the arguments. */
  readonly key?: (...args: unknown[]) => string;
  /** Name of the store; `undefined`: the default store. */
  readonly store?: string;
  /** Whether to cache a result of a call. */
  readonly condition?: (result: unknown, args: unknown[]) => boolean;
  /** `ttl` in milliseconds, set when `jitter` or `staleWhileRevalidate` need it. */
  readonly ttlMs?: number;
  /** How long after `ttl` a stale entry is still served while one refresh runs, in milliseconds. */
  readonly staleMs?: number;
  /** Fraction of the TTL drawn at random on each write (0.1: ±10%); 0 or absent: none. */
  readonly jitter?: number;
  /** Tags written with each entry, for `invalidateTags`. */
  readonly tags?: CachedTagsSource;
  /** How long a miss waits for another instance's computation, in ms (0: never waits). */
  readonly lockWaitMs?: number;
  /** Lifetime of a computation's lease, in ms, renewed while the computation runs. */
  readonly leaseTtlMs?: number;
  /** Longest a computation or refresh keeps its lease, in ms; past it the lease is given up. */
  readonly leaseMaxLifetimeMs?: number;
}

/** Records `metadata` on a method (the function itself, as Nest's `SetMetadata` does). */
export function writeCachedMetadata(method: object, metadata: CachedMethodMetadata): void {
  Reflect.defineMetadata(CACHED_METADATA, metadata, method);
}

/** The `@Cached` options of a method, or `undefined` when it is not decorated. */
export function readCachedMetadata(method: unknown): CachedMethodMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(CACHED_METADATA, method) as CachedMethodMetadata | undefined;
}
