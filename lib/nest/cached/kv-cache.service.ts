import { Injectable, Logger } from '@nestjs/common';
import { InvalidArgumentError, InvalidOptionsError } from '../../core/errors.js';
import type { KvStore } from '../../core/kv-store.js';
import { describeValue } from '../../core/describe-value.js';
import {
  recordCachedOutcome,
  recordCachedStoreError,
  traceCachedCall,
} from '../../telemetry/cached-telemetry.js';
import { KvStoreRegistry } from '../kv-store.registry.js';
import { describeStore } from '../kv-store.tokens.js';
import { cachedKey, cachedKeyPrefix } from './cache-key.js';
import { type CachedMethodMetadata, readCachedMetadata } from './cached.metadata.js';

/** Counters of one cached method (or of all of them). */
export interface CachedMethodStats {
  /** Calls answered from the store. */
  hits: number;
  /** Calls that ran the method because the store had no entry. */
  misses: number;
  /** Calls that joined a call with the same key already in flight instead of running the method. */
  coalesced: number;
  /** Store reads or writes that failed; the call went on without the cache (and a warning was logged). */
  errors: number;
}

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

/** One `@Cached` method of one class, with its store resolved. */
interface CachedMethod {
  /** `Class.method`, used in stats and messages. */
  readonly id: string;
  readonly prefix: string;
  readonly metadata: CachedMethodMetadata;
  readonly store: KvStore;
  /** Counters and invalidation generation, shared by every CachedMethod of the same `Class.method`. */
  readonly state: MethodState;
}

/** What the service keeps per `Class.method`. */
interface MethodState {
  readonly counters: CachedMethodStats;
  /** Bumped by every invalidation, so calls that started before it do not write their result. */
  generation: number;
}

/** One call of a cached method, from its key to its result. */
interface CachedCall {
  readonly cached: CachedMethod;
  readonly instance: object;
  readonly original: (...args: unknown[]) => unknown;
  readonly args: unknown[];
  readonly key: string;
  /** The method's invalidation generation when the call started. */
  readonly generation: number;
}

/** How many keys `invalidateAll` deletes per round trip. */
const DELETE_BATCH = 500;

/**
 * The runtime of `@Cached` for one application: in-flight calls, invalidation and counters.
 * Inject it to invalidate from code:
 *
 * ```ts
 * await this.cache.invalidate(FrontierService, 'nextBatch', 'example.org'); // one call
 * await this.cache.invalidateAll(FrontierService, 'nextBatch');              // every call
 * this.cache.getCachedStats(); // { hits, misses, coalesced, errors, methods: { 'FrontierService.nextBatch': ... } }
 * ```
 *
 * One instance per app, so two apps in one process never share in-flight calls or counters.
 */
@Injectable()
export class KvCacheService {
  private readonly logger = new Logger('Cached');
  /** Calls running now, by store name and key, shared by concurrent callers of one key. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
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
    const key = cachedKey(cached.prefix, cached.metadata, args);
    cached.state.generation++;
    this.inFlight.delete(flightKey(cached, key));
    return cached.store.delete(key);
  }

  /**
   * Forgets every cached call of one method (every key under its `cached:<Class>.<method>:`
   * prefix); resolves how many entries were deleted.
   */
  async invalidateAll<T>(target: ClassRef<T>, method: AsyncMethodName<T>): Promise<number> {
    const cached = this.cachedMethodOf(target, method);
    cached.state.generation++;
    const inFlightPrefix = flightKey(cached, cached.prefix);
    for (const key of [...this.inFlight.keys()]) {
      if (key.startsWith(inFlightPrefix)) this.inFlight.delete(key);
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
    return cachedKey(cached.prefix, cached.metadata, args);
  }

  /** Hits, misses, coalesced calls and store errors since the app started, in total and per method. */
  getCachedStats(): CachedStats {
    const total: CachedStats = { hits: 0, misses: 0, coalesced: 0, errors: 0, methods: {} };
    for (const [id, { counters: counter }] of this.methods) {
      if (counter.hits + counter.misses + counter.coalesced + counter.errors === 0) continue;
      total.methods[id] = { ...counter };
      total.hits += counter.hits;
      total.misses += counter.misses;
      total.coalesced += counter.coalesced;
      total.errors += counter.errors;
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
    const run = (args: unknown[]) => this.call(cached, instance, original, args);
    return (...args: unknown[]) => traceCachedCall(cached.store, cached.id, run, args);
  }

  private call(
    cached: CachedMethod,
    instance: object,
    original: (...args: unknown[]) => unknown,
    args: unknown[],
  ): Promise<unknown> {
    let key: string;
    try {
      key = cachedKey(cached.prefix, cached.metadata, args);
    } catch (error) {
      return Promise.reject(error);
    }
    // Taken now: a call that started before an invalidation must not write its result after it.
    const { generation } = cached.state;
    // A hit costs one store read and a counter; the call record is built only on a miss.
    return cached.store.get(key).then(
      (hit) => {
        if (hit === undefined) {
          return this.joinOrLoad({ cached, instance, original, args, key, generation });
        }
        cached.state.counters.hits++;
        recordCachedOutcome(cached.store, cached.id, 'hit');
        return hit;
      },
      (error: unknown) => {
        this.storeFailed(cached, 'read', key, error);
        return this.joinOrLoad({ cached, instance, original, args, key, generation });
      },
    );
  }

  /** Joins the call of the same key that is in flight, or starts it. */
  private joinOrLoad(call: CachedCall): Promise<unknown> {
    const id = flightKey(call.cached, call.key);
    const running = this.inFlight.get(id);
    if (running) {
      call.cached.state.counters.coalesced++;
      recordCachedOutcome(call.cached.store, call.cached.id, 'coalesced');
      return running;
    }
    const flight = this.load(call).finally(() => {
      // An invalidation may have replaced this entry with a newer call; leave that one alone.
      if (this.inFlight.get(id) === flight) this.inFlight.delete(id);
    });
    this.inFlight.set(id, flight);
    return flight;
  }

  private async load({
    cached,
    instance,
    original,
    args,
    key,
    generation,
  }: CachedCall): Promise<unknown> {
    cached.state.counters.misses++;
    recordCachedOutcome(cached.store, cached.id, 'miss');
    const pending = original.apply(instance, args);
    if (!isPromiseLike(pending)) {
      throw new InvalidOptionsError(
        `@Cached on ${cached.id}: the method returned ${describeValue(pending)} instead of a Promise; ` +
          '@Cached only applies to async methods',
      );
    }
    const result = await pending;
    // Stores cannot hold undefined, so such results are simply not cached.
    if (result === undefined) return result;
    if (cached.metadata.condition && !cached.metadata.condition(result, args)) return result;
    if (cached.state.generation !== generation) return result;
    await this.write(cached, key, result);
    return result;
  }

  /** Writes a result; a failing store only costs the caching, never the call's result. */
  private async write(cached: CachedMethod, key: string, result: unknown): Promise<void> {
    const { ttl } = cached.metadata;
    try {
      await cached.store.put(key, result, ttl === undefined ? undefined : { ttl });
    } catch (error) {
      this.storeFailed(cached, 'write', key, error);
    }
  }

  private storeFailed(cached: CachedMethod, what: string, key: string, error: unknown): void {
    cached.state.counters.errors++;
    recordCachedStoreError(cached.store, cached.id, error);
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `@Cached ${cached.id}: cache ${what} of ${JSON.stringify(key)} failed, calling through: ${message}`,
    );
  }

  private stateOf(id: string): MethodState {
    let state = this.methods.get(id);
    if (!state) {
      state = { counters: { hits: 0, misses: 0, coalesced: 0, errors: 0 }, generation: 0 };
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
    return {
      id,
      prefix: cachedKeyPrefix(className, methodName),
      metadata,
      store,
      state: this.stateOf(id),
    };
  }
}

/** In-flight calls are per store: the same key in two stores is two entries. */
function flightKey(cached: CachedMethod, key: string): string {
  return `${cached.metadata.store ?? ''}\u0000${key}`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
