import { Injectable, Logger } from '@nestjs/common';
import { InvalidArgumentError, InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { KvStore } from '../../core/kv-store.js';
import { traceCachedCall } from '../../telemetry/cached-telemetry.js';
import { emptyStats, type CachedStats } from '../../cache/cache-stats.js';
import { assertTags } from '../../cache/cache-tags-validation.js';
import { KvCache, type CacheLoader, type GetOrSetOptions } from '../../cache/kv-cache.js';
import { KvStoreRegistry } from '../kv-store.registry.js';
import { assertStoreName, describeStore } from '../kv-store.tokens.js';
import { cachedKey, cachedKeyHead, cachedKeyPrefix } from './cache-key.js';
import { type CachedMethod, methodScope, tagsOfCall } from './cached-method.js';
import { type CachedMethodMetadata, readCachedMetadata } from './cached.metadata.js';

export type { CachedMethodStats } from '../../cache/cache-scope.js';
export type { CachedStats } from '../../cache/cache-stats.js';

/** Options of `KvCacheService.getOrSet`: those of {@link GetOrSetOptions} and the store to cache in. */
export interface ServiceGetOrSetOptions<T = unknown> extends GetOrSetOptions<T> {
  /** Name of the store (`KvStoreModule.forRoot({ name })`) to cache in; default: the default store. */
  store?: string;
}

/** Names of the methods of `T` that return a Promise (the ones `@Cached` can decorate). */
export type AsyncMethodName<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

/** The parameter types of method `K` of `T`. */
export type MethodArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown
  ? A
  : never;

/** A class, abstract or not, whatever its constructor parameters. */
export type ClassRef<T> = abstract new (...args: never[]) => T;

/**
 * The runtime of `@Cached` for one application: in-flight calls, invalidation and counters.
 * Inject it to invalidate from code:
 *
 * ```ts
 * await this.cache.invalidate(FrontierService, 'nextBatch', 'example.org'); // one call
 * await this.cache.invalidateAll(FrontierService, 'nextBatch');              // every call
 * await this.cache.invalidateTags('domain:example.org');                     // every tagged result
 * this.cache.getCachedStats(); // { hits, misses, coalesced, errors, staleServed, ..., methods: { ... } }
 * const user = await this.cache.getOrSet(`user:${id}`, () => this.db.findUser(id), { ttl: 60 });
 * ```
 *
 * One instance per app, so two apps in one process never share in-flight calls or counters.
 * Calls themselves run in one {@link KvCache} per store; see docs/multi-instance.md for several instances.
 */
@Injectable()
export class KvCacheService {
  private readonly logger = new Logger('Cached');
  /** One cache per store name (`''`: the default store), built at first use. */
  private readonly caches = new Map<string, KvCache>();
  /** `getOrSet` options without `store`, by the options object, so the cache checks each once. */
  private readonly storeless = new WeakMap<object, GetOrSetOptions<never>>();

  constructor(private readonly registry: KvStoreRegistry) {}

  /**
   * The value cached under `key` in the store named by `options.store` (default: the default
   * store), or the loader's result, cached for later calls: `KvCache.getOrSet` with the app's
   * stores, counters and logger. Its counters are reported under `getOrSet` by `getCachedStats`.
   */
  getOrSet<T>(
    key: string,
    loader: CacheLoader<T>,
    options?: ServiceGetOrSetOptions<T>,
  ): Promise<T> {
    let cache: KvCache;
    let rest: GetOrSetOptions<T> | undefined = options;
    try {
      const store = typeof options === 'object' && options !== null ? options.store : undefined;
      if (store !== undefined) assertStoreName(store);
      cache = this.cacheOf(store, 'KvCacheService.getOrSet');
      if (typeof options === 'object' && options !== null && 'store' in options) {
        rest = this.withoutStore(options);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return cache.getOrSet(key, loader, rest);
  }

  /**
   * Forgets the cached result of one call: `invalidate(UserService, 'findUser', 42)`. The
   * arguments must be those of the call (the same key is built). Resolves true when an entry
   * was deleted. A call with that key that is in flight now will not write its result.
   */
  async invalidate<T, K extends AsyncMethodName<T>>(
    target: ClassRef<T>,
    method: K,
    ...args: MethodArgs<T, K>
  ): Promise<boolean> {
    const cached = this.cachedMethodOf(target, method);
    const key = cachedKey(cached, args);
    return cached.cache.forgetKey(cached.state, key, tagsOfCall(cached, args));
  }

  /**
   * Forgets every cached call of one method (every key under its `cached:<Class>.<method>:`
   * prefix); resolves how many entries were deleted.
   */
  async invalidateAll<T>(target: ClassRef<T>, method: AsyncMethodName<T>): Promise<number> {
    const cached = this.cachedMethodOf(target, method);
    return cached.cache.forgetPrefix(cached.state, cached.prefix);
  }

  /** The store key a call would use, e.g. `cached:UserService.findUser:[42]`; for debugging. */
  keyFor<T, K extends AsyncMethodName<T>>(
    target: ClassRef<T>,
    method: K,
    ...args: MethodArgs<T, K>
  ): string {
    const cached = this.cachedMethodOf(target, method);
    return cachedKey(cached, args);
  }

  /**
   * Forgets every cached result tagged with one of `tags` (see the `tags` option of `@Cached`),
   * in every store of this app, for every instance that shares the store: `invalidateTags('user:42')`.
   * Calls in flight now whose tags match do not keep their result. Resolves how many entries were
   * deleted. Throws `InvalidArgumentError` for a tag that is not a non-empty string.
   */
  async invalidateTags(...tags: string[]): Promise<number> {
    assertTags(tags, 'invalidateTags tags');
    if (tags.length === 0) return 0;
    let deleted = 0;
    for (const name of this.registry.names()) {
      if (this.registry.find(name) !== undefined) {
        deleted += await this.cacheOf(name, 'invalidateTags').invalidateTags(...tags);
      }
    }
    return deleted;
  }

  /**
   * Counters since the app started, in total and per method: hits, misses, coalesced calls,
   * store errors, stale entries served, refreshes and their failures, waits for other instances.
   */
  getCachedStats(): CachedStats {
    const total = emptyStats();
    for (const cache of this.caches.values()) cache.addStatsTo(total);
    return total;
  }

  /**
   * Builds the caching replacement of one decorated method of `instance`. Throws
   * {@link InvalidOptionsError} when the store it names is not registered.
   * @internal Called by the explorer at module init.
   */
  wrap(
    instance: object,
    className: string,
    methodName: string,
    original: (...args: unknown[]) => unknown,
    metadata: CachedMethodMetadata,
  ): (...args: unknown[]) => Promise<unknown> {
    const cached = this.resolve(className, methodName, metadata);
    const scope = methodScope(cached, instance, original);
    const { cache } = cached;
    const run = (args: unknown[]) => cache.call(scope, args);
    return (...args: unknown[]) => traceCachedCall(cache.store, cached.id, run, args);
  }

  private withoutStore<T>(options: ServiceGetOrSetOptions<T>): GetOrSetOptions<T> {
    let rest = this.storeless.get(options) as GetOrSetOptions<T> | undefined;
    if (rest === undefined) {
      const others: ServiceGetOrSetOptions<T> = { ...options };
      delete others.store;
      rest = others;
      this.storeless.set(options, rest as GetOrSetOptions<never>);
    }
    return rest;
  }

  /**
   * The cache over the store `name` (undefined: the default store). Throws
   * {@link InvalidOptionsError} naming `user` when no module registers that store.
   */
  private cacheOf(name: string | undefined, user: string): KvCache {
    const id = name ?? '';
    let cache = this.caches.get(id);
    if (cache === undefined) {
      cache = new KvCache(this.storeOf(name, user), { logger: this.logger });
      this.caches.set(id, cache);
    }
    return cache;
  }

  private storeOf(name: string | undefined, user: string): KvStore {
    const store = this.registry.find(name);
    if (store !== undefined) return store;
    const known = this.registry
      .names()
      .map((each) => describeStore(each))
      .join(', ');
    throw new InvalidOptionsError(
      `${user} uses ${describeStore(name)}, which no KvStoreModule.forRoot/forRootAsync registers` +
        ` (registered: ${known || 'none'})`,
    );
  }

  /** The cached method behind `Class.method`, for invalidation. */
  private cachedMethodOf(target: unknown, method: string): CachedMethod {
    const prototype: unknown = typeof target === 'function' ? target.prototype : undefined;
    const fn: unknown =
      typeof prototype === 'object' && prototype !== null
        ? (prototype as Record<string, unknown>)[method]
        : undefined;
    const metadata = readCachedMetadata(fn);
    if (metadata === undefined || typeof target !== 'function') {
      throw new InvalidArgumentError(
        `${typeof target === 'function' ? target.name : describeValue(target)}.${method} is not a method decorated with @Cached`,
      );
    }
    return this.resolve(target.name, method, metadata);
  }

  private resolve(
    className: string,
    methodName: string,
    metadata: CachedMethodMetadata,
  ): CachedMethod {
    const id = `${className}.${methodName}`;
    const cache = this.cacheOf(metadata.store, `@Cached on ${id}`);
    const prefix = cachedKeyPrefix(className, methodName);
    return {
      id,
      prefix,
      keyHead: cachedKeyHead(prefix),
      metadata,
      cache,
      state: cache.stateOf(id),
    };
  }
}
