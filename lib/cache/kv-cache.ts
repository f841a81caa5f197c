import { InvalidArgumentError, InvalidOptionsError, KvStoreError } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import type { KvStore } from '../core/kv-store.js';
import { ttlToMilliseconds, type Ttl } from '../core/ttl.js';
import { assertKey } from '../core/validation.js';
import { traceCachedCall } from '../telemetry/cached-telemetry.js';
import { CacheCaller, type CacheLogger } from './cache-caller.js';
import { assertCacheStore } from './cache-store-check.js';
import {
  cachePolicy,
  MULTI_INSTANCE_OPTION_NAMES,
  RESILIENCE_OPTION_NAMES,
  type MultiInstanceCachedOptions,
  type ResilienceOptions,
} from './cache-options.js';
import type { CacheScope, ScopeState } from './cache-scope.js';
import { emptyStats, ScopeStates, type CachedStats } from './cache-stats.js';
import { assertTags } from './cache-tags-validation.js';
import { invalidateTagsIn, tagRowKey } from './cache-tags.js';
import { DEFAULT_HELD_BYTES, DEFAULT_HELD_ENTRIES, HeldValues } from './held-values.js';
import type { LoaderContext } from './loader-context.js';

/** Options of a {@link KvCache}. */
export interface KvCacheOptions {
  /** Names this cache's `getOrSet` calls in stats, spans, metrics and warnings. Default `getOrSet`. */
  name?: string;
  /**
   * Most values held in process for `grace` while the store cannot be asked (the last good value
   * of each graced key this instance read or loaded). Default 1000; 0 holds none.
   */
  heldEntries?: number;
  /** Roughly how many bytes those held values may take. Default 16 MiB (16777216). */
  heldBytes?: number;
  /** Where warnings go (a Nest `Logger`, `console`, ...). Default: `console`. */
  logger?: CacheLogger;
}

/** What a `getOrSet` loader is: it gets a {@link LoaderContext} and returns the value (or a Promise of it). */
export type CacheLoader<T> = (context: LoaderContext<T>) => Promise<T> | T;

/** Options of one `getOrSet` call: the same as `@Cached`'s, without `key` and `store`. */
export interface GetOrSetOptions<T = unknown>
  extends Omit<MultiInstanceCachedOptions<never[]>, 'tags'>, ResilienceOptions {
  /**
   * Time to live of the cached value: seconds (fractions allowed), a duration such as
   * `{ minutes: 5 }`, or `null` for never. Omitted: the store's `defaultTtl`.
   */
  ttl?: Ttl;
  /** Tags of the cached value, for {@link KvCache.invalidateTags}. */
  tags?: readonly string[];
  /** Called with each fresh result; return false to not cache it. */
  condition?: (result: T) => boolean;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'ttl',
  'condition',
  ...MULTI_INSTANCE_OPTION_NAMES,
  ...RESILIENCE_OPTION_NAMES,
]);

/** What one `getOrSet` call passes through the cache. */
interface GetOrSetCall {
  readonly key: string;
  readonly loader: CacheLoader<unknown>;
}

/** How many keys `forgetPrefix` deletes per round trip. */
const DELETE_BATCH = 500;

/**
 * A cache over any {@link KvStore}, without Nest: `getOrSet` with the semantics of `@Cached`
 * (concurrent callers of a key share one loader run, and on Redis one instance computes a cold
 * key), stale-while-revalidate, tags, grace when the loader or the store fails, and loader
 * timeouts.
 *
 * ```ts
 * const cache = new KvCache(store);
 * const user = await cache.getOrSet(`user:${id}`, () => db.findUser(id), { ttl: 60, grace: 3600 });
 * ```
 */
export class KvCache {
  /** The store values are cached in. */
  readonly store: KvStore;
  private readonly name: string;
  private readonly caller: CacheCaller;
  private readonly states = new ScopeStates();
  /** Scopes by the options object they were built from, so hoisted options are checked once. */
  private readonly scopes = new WeakMap<object, CacheScope<GetOrSetCall>>();
  private defaultScope: CacheScope<GetOrSetCall> | undefined;

  constructor(store: KvStore, options: KvCacheOptions = {}) {
    assertCacheStore(store);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionsError(
        `KvCache options must be an object; got ${describeValue(options)}`,
      );
    }
    const unknown = Object.keys(options).filter(
      (name) => !['name', 'heldEntries', 'heldBytes', 'logger'].includes(name),
    );
    if (unknown.length > 0) {
      throw new InvalidOptionsError(
        `KvCache: unknown option ${unknown.join(', ')}; valid options are name, heldEntries, heldBytes, logger`,
      );
    }
    const { name = 'getOrSet', logger = console } = options;
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidOptionsError(
        `KvCache: name must be a non-empty string; got ${describeValue(name)}`,
      );
    }
    if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
      throw new InvalidOptionsError(
        'KvCache: logger must be an object with a warn(message) method',
      );
    }
    this.store = store;
    this.name = name;
    const held = new HeldValues(
      count(options.heldEntries, 'heldEntries', DEFAULT_HELD_ENTRIES),
      count(options.heldBytes, 'heldBytes', DEFAULT_HELD_BYTES),
    );
    this.caller = new CacheCaller(store, logger, held);
  }

  /**
   * The value cached under `key`, or the loader's result, cached for later calls. Concurrent
   * callers of one key share one loader run (one across instances on Redis, see `lockWait`).
   * The loader gets a {@link LoaderContext}: the stale value it replaces, and `setTtl`,
   * `setTags` and `skip` to choose how its result is cached. Rejections are never cached;
   * `undefined` results are not cached either. Throws `InvalidArgumentError` for a bad key or
   * loader, `InvalidOptionsError` naming a bad option, and `LoaderTimeoutError` past `hardTimeout`.
   */
  getOrSet<T>(key: string, loader: CacheLoader<T>, options?: GetOrSetOptions<T>): Promise<T> {
    let scope: CacheScope<GetOrSetCall>;
    try {
      assertKey(key);
      if (typeof loader !== 'function') {
        throw new InvalidArgumentError(
          `the loader of ${JSON.stringify(key)} must be a function; got ${describeValue(loader)}`,
        );
      }
      scope = this.scopeFor(options as GetOrSetOptions | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    return traceCachedCall(
      this.store,
      scope.id,
      (call: GetOrSetCall) => this.caller.call(scope, call),
      { key, loader: loader as CacheLoader<unknown> },
    ) as Promise<T>;
  }

  /**
   * Forgets the value cached under `key` (and the copy held for grace); a load of it in flight
   * now does not keep its result. Resolves true when an entry was deleted.
   */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return this.forgetKey(this.states.stateOf(this.name), key);
  }

  /**
   * Forgets every value tagged with one of `tags`, for every instance that shares the store;
   * loads in flight now whose tags match do not keep their result. Resolves how many entries
   * were deleted. Throws `InvalidArgumentError` for a tag that is not a non-empty string.
   */
  async invalidateTags(...tags: string[]): Promise<number> {
    assertTags(tags, 'invalidateTags tags');
    if (tags.length === 0) return 0;
    this.caller.forgetTags(new Set(tags));
    const deleted = await invalidateTagsIn(this.store, tags);
    this.caller.storeAnswered();
    return deleted;
  }

  /** Counters since the cache was built, in total and per name (`getOrSet` or `@Cached` method). */
  getStats(): CachedStats {
    return this.states.addTo(emptyStats());
  }

  /**
   * Adds this cache's counters to `total`.
   * @internal For `KvCacheService`, which sums its caches.
   */
  addStatsTo(total: CachedStats): CachedStats {
    return this.states.addTo(total);
  }

  /**
   * The counters and invalidation generation of call site `id`.
   * @internal For `@Cached`.
   */
  stateOf(id: string): ScopeState {
    return this.states.stateOf(id);
  }

  /**
   * One call of a call site.
   * @internal For `@Cached`, whose scopes build keys from method arguments.
   */
  call<I>(scope: CacheScope<I>, input: I): Promise<unknown> {
    return this.caller.call(scope, input);
  }

  /**
   * Forgets one key of the call site whose state is `state`: its loads in flight do not keep
   * their result, its held copy and backoff go, and the entry and its tag rows are deleted.
   * @internal For `@Cached` invalidation.
   */
  async forgetKey(state: ScopeState, key: string, tags?: readonly string[]): Promise<boolean> {
    state.generation++;
    this.caller.forgetKey(key);
    const deleted = await this.store.delete(key);
    this.caller.storeAnswered();
    // The entry's tag rows would otherwise stay until they expire with the entry's TTL.
    if (tags) await this.store.deleteMany(tags.map((tag) => tagRowKey(tag, key)));
    return deleted;
  }

  /**
   * Forgets every key under `prefix` of the call site whose state is `state`; resolves how many
   * entries were deleted.
   * @internal For `@Cached` invalidation of a whole method.
   */
  async forgetPrefix(state: ScopeState, prefix: string): Promise<number> {
    state.generation++;
    this.caller.forgetPrefix(prefix);
    let deleted = 0;
    let batch: string[] = [];
    for await (const [key] of this.store.iterate(prefix, undefined, { batchSize: DELETE_BATCH })) {
      batch.push(key);
      if (batch.length === DELETE_BATCH) {
        deleted += await this.store.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) deleted += await this.store.deleteMany(batch);
    this.caller.storeAnswered();
    return deleted;
  }

  /** The scope of `getOrSet` calls with `options`, built and checked once per options object. */
  private scopeFor(options: GetOrSetOptions | undefined): CacheScope<GetOrSetCall> {
    if (options === undefined) return (this.defaultScope ??= this.buildScope({}));
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionsError(
        `${this.name} options must be an object; got ${describeValue(options)}`,
      );
    }
    let scope = this.scopes.get(options);
    if (scope === undefined) {
      scope = this.buildScope(options);
      this.scopes.set(options, scope);
    }
    return scope;
  }

  private buildScope(options: GetOrSetOptions): CacheScope<GetOrSetCall> {
    const where = `${this.name} options`;
    const unknown = Object.keys(options).filter((name) => !OPTION_NAMES.has(name));
    if (unknown.length > 0) {
      throw new InvalidOptionsError(
        `${where}: unknown option ${unknown.join(', ')}; valid options are ${[...OPTION_NAMES].join(', ')}`,
      );
    }
    const { ttl, condition, tags } = options;
    if (condition !== undefined && typeof condition !== 'function') {
      throw new InvalidOptionsError(
        `${where}: condition must be a function; got ${describeValue(condition)}`,
      );
    }
    if (ttl !== undefined) {
      try {
        ttlToMilliseconds(ttl, 'ttl');
      } catch (error) {
        if (!(error instanceof KvStoreError)) throw error;
        throw new InvalidOptionsError(`${where}: ${error.message}`);
      }
    }
    const policy = { ttl, ...cachePolicy(options, ttl, where) };
    const fixedTags = tags === undefined || tags.length === 0 ? undefined : [...tags];
    return {
      id: this.name,
      label: this.name,
      policy,
      state: this.states.stateOf(this.name),
      keyOf: (call) => call.key,
      load: (call, context) => call.loader(context),
      tagsOf: () => fixedTags,
      keeps: condition === undefined ? () => true : (result) => condition(result),
    };
  }
}

/** A whole number of at least 0 for option `name`, or `fallback` when absent. */
function count(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionsError(
      `KvCache: ${name} must be a whole number of at least 0; got ${describeValue(value)}`,
    );
  }
  return value;
}
