import { Injectable, Logger } from '@nestjs/common';
import { InvalidArgumentError, InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import { traceCachedCall } from '../../telemetry/cached-telemetry.js';
import { KvStoreRegistry } from '../kv-store.registry.js';
import { describeStore } from '../kv-store.tokens.js';
import { cachedKey, cachedKeyHead, cachedKeyPrefix } from './cache-key.js';
import { assertTags } from './cache-tags-validation.js';
import { invalidateTagsIn, tagRowKey, tagsOfCall } from './cache-tags.js';
import { CachedCaller } from './cached-caller.js';
import {
  COUNTER_NAMES,
  type CachedMethod,
  type CachedMethodStats,
  flightKey,
  type MethodState,
  zeroCounters,
} from './cached-call.js';
import { type CachedMethodMetadata, readCachedMetadata } from './cached.metadata.js';

export type { CachedMethodStats } from './cached-call.js';

/** What `KvCacheService.getCachedStats()` returns: totals and counters per `Class.method`. */
export interface CachedStats extends CachedMethodStats {
  /** Counters per cached method, keyed `Class.method`; methods never called are absent. */
  methods: Record<string, CachedMethodStats>;
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

/** How many keys `invalidateAll` deletes per round trip. */
const DELETE_BATCH = 500;

/**
 * The runtime of `@Cached` for one application: in-flight calls, invalidation and counters.
 * Inject it to invalidate from code:
 *
 * ```ts
 * await this.cache.invalidate(FrontierService, 'nextBatch', 'example.org'); // one call
 * await this.cache.invalidateAll(FrontierService, 'nextBatch');              // every call
 * await this.cache.invalidateTags('domain:example.org');                     // every tagged result
 * this.cache.getCachedStats(); // { hits, misses, coalesced, errors, staleServed, ..., methods: { ... } }
 * ```
 *
 * One instance per app, so two apps in one process never share in-flight calls or counters.
 * Calls themselves run in `CachedCaller`; see docs/multi-instance.md for several instances.
 */
@Injectable()
export class KvCacheService {
  private readonly logger = new Logger('Cached');
  private readonly caller = new CachedCaller(this.logger);
  /** Counters and invalidation generation per `Class.method`. */
  private readonly methods = new Map<string, MethodState>();

  constructor(private readonly registry: KvStoreRegistry) {}

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
    const tags = tagsOfCall(cached, args);
    cached.state.generation++;
    this.caller.inFlight.delete(flightKey(cached, key));
    const deleted = await cached.store.delete(key);
    // The entry's tag rows would otherwise stay until they expire with the entry's TTL.
    if (tags) await cached.store.deleteMany(tags.map((tag) => tagRowKey(tag, key)));
    return deleted;
  }

  /**
   * Forgets every cached call of one method (every key under its `cached:<Class>.<method>:`
   * prefix); resolves how many entries were deleted.
   */
  async invalidateAll<T>(target: ClassRef<T>, method: AsyncMethodName<T>): Promise<number> {
    const cached = this.cachedMethodOf(target, method);
    cached.state.generation++;
    const inFlightPrefix = flightKey(cached, cached.prefix);
    for (const key of [...this.caller.inFlight.keys()]) {
      if (key.startsWith(inFlightPrefix)) this.caller.inFlight.delete(key);
    }
    let deleted = 0;
    let batch: string[] = [];
    for await (const [key] of cached.store.iterate(cached.prefix, undefined, {
      batchSize: DELETE_BATCH,
    })) {
      batch.push(key);
      if (batch.length === DELETE_BATCH) {
        deleted += await cached.store.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) deleted += await cached.store.deleteMany(batch);
    return deleted;
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
    const wanted = new Set(tags);
    for (const [id, callTags] of [...this.caller.inFlightTags]) {
      if (callTags.some((tag) => wanted.has(tag))) {
        this.caller.inFlight.delete(id);
        this.caller.inFlightTags.delete(id);
      }
    }
    let deleted = 0;
    for (const name of this.registry.names()) {
      const store = this.registry.find(name);
      if (store !== undefined) deleted += await invalidateTagsIn(store, tags);
    }
    return deleted;
  }

  /**
   * Counters since the app started, in total and per method: hits, misses, coalesced calls,
   * store errors, stale entries served, refreshes and their failures, waits for other instances.
   */
  getCachedStats(): CachedStats {
    const total: CachedStats = { ...zeroCounters(), methods: {} };
    for (const [id, { counters }] of this.methods) {
      if (COUNTER_NAMES.every((name) => counters[name] === 0)) continue;
      total.methods[id] = { ...counters };
      for (const name of COUNTER_NAMES) total[name] += counters[name];
    }
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
    const run = (args: unknown[]) => this.caller.call(cached, instance, original, args);
    return (...args: unknown[]) => traceCachedCall(cached.store, cached.id, run, args);
  }

  private stateOf(id: string): MethodState {
    let state = this.methods.get(id);
    if (!state) {
      state = { counters: zeroCounters(), generation: 0 };
      this.methods.set(id, state);
    }
    return state;
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
    const store = this.registry.find(metadata.store);
    if (store === undefined) {
      const known = this.registry
        .names()
        .map((name) => describeStore(name))
        .join(', ');
      throw new InvalidOptionsError(
        `@Cached on ${id} uses ${describeStore(metadata.store)}, which no KvStoreModule.forRoot/forRootAsync registers` +
          ` (registered: ${known || 'none'})`,
      );
    }
    const prefix = cachedKeyPrefix(className, methodName);
    return {
      id,
      prefix,
      keyHead: cachedKeyHead(prefix),
      metadata,
      store,
      state: this.stateOf(id),
    };
  }
}
