import type { CachePolicy } from '../../cache/cache-options.js';

/** Reflect metadata key under which `@Cached` records its options on the decorated method. */
export const CACHED_METADATA = 'nestjs-kv-store:cached';

export type { CacheTagsSource as CachedTagsSource } from '../../cache/cache-options.js';

/** The normalized options `@Cached` records; read back by the explorer and `KvCacheService`. */
export interface CachedMethodMetadata extends CachePolicy {
  /** Builds the argument part of the key instead of the stable encoding of the arguments. */
  readonly key?: (...args: unknown[]) => string;
  /** Name of the store; `undefined`: the default store. */
  readonly store?: string;
  /** Whether to cache a result of a call. */
  readonly condition?: (result: unknown, args: unknown[]) => boolean;
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
