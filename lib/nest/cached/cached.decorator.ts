import { InvalidOptionsError, KvStoreError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import { ttlToMilliseconds, type Ttl } from '../../core/ttl.js';
import { assertStoreName } from '../kv-store.tokens.js';
import { type CachedMethodMetadata, writeCachedMetadata } from './cached.metadata.js';
import {
  cachePolicy,
  MULTI_INSTANCE_OPTION_NAMES,
  RESILIENCE_OPTION_NAMES,
  type MultiInstanceCachedOptions,
  type ResilienceOptions,
} from '../../cache/cache-options.js';

/**
 * Options of `@Cached({...})`. Type parameters are optional and only type the callbacks:
 * `@Cached<[id: string], User>({ condition: (user) => user.active })`.
 */
export interface CachedOptions<Args extends readonly unknown[] = never[], Result = never>
  extends MultiInstanceCachedOptions<Args>, ResilienceOptions {
  /**
   * Time to live of cached results: seconds (fractions allowed), a duration such as
   * `{ minutes: 5 }`, or `null` for never. Omitted: the store's `defaultTtl`.
   */
  ttl?: Ttl;
  /**
   * Builds the argument part of the key from the call's arguments (default: a stable encoding
   * of all arguments). The class and method name still prefix it, so `invalidateAll` works.
   */
  key?: (...args: Args) => string;
  /** Name of the store (`KvStoreModule.forRoot({ name })`) to cache in; default: the default store. */
  store?: string;
  /** Called with each fresh result and the arguments; return false to not cache this result. */
  condition?: (result: Result, args: Args) => boolean;
}

/** A method `@Cached` can decorate: one that returns a Promise. */
export type CacheableMethod = (...args: never[]) => Promise<unknown>;

/** The decorator `@Cached(...)` returns; the type rejects methods that do not return a Promise. */
export type CachedDecorator = <M extends CacheableMethod>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'ttl',
  'key',
  'store',
  'condition',
  ...MULTI_INSTANCE_OPTION_NAMES,
  ...RESILIENCE_OPTION_NAMES,
]);

/**
 * Caches the results of an async provider method in a `KvStore`.
 *
 * `@Cached(60)`, `@Cached({ minutes: 5 })`, `@Cached(null)` (never expires), `@Cached()` (the
 * store's `defaultTtl`) or `@Cached({ ttl, key, store, condition })`.
 *
 * - Key: `cached:<Class>.<method>:<stable encoding of the arguments>` (object key order does not
 *   matter), or the `key` function's result after the same prefix; long keys are hashed.
 * - Concurrent calls with the same key share one in-flight call; on a store shared by several
 *   processes (Redis), one instance computes a cold key while the others wait up to `lockWait`.
 * - `staleWhileRevalidate`, `jitter` and `tags`: see {@link MultiInstanceCachedOptions};
 *   `grace`, `graceBackoff`, `softTimeout` and `hardTimeout`: see {@link ResilienceOptions}.
 * - The same code path as `KvCache.getOrSet`, with the method as the loader.
 * - Rejections are never cached. `undefined` results are not cached either (stores cannot hold
 *   `undefined`), so such calls run every time; return `null` to cache "nothing".
 * - Results come back through the store's serializer, so a hit returns a copy.
 * - A method that does not return a Promise fails its first call with `InvalidOptionsError`.
 *
 * The decorator only records metadata; `KvStoreModule` wraps the methods of static
 * (singleton or transient) providers when the app initializes. Request-scoped providers are
 * not wrapped (a warning is logged). Invalidate and read counters with `KvCacheService`.
 */
export function Cached(ttl?: Ttl): CachedDecorator;
/** Caches with options; see the overload above for the semantics. */
export function Cached<Args extends readonly unknown[] = never[], Result = never>(
  options: CachedOptions<Args, Result>,
): CachedDecorator;
export function Cached(ttlOrOptions?: Ttl | CachedOptions<never[], never>): CachedDecorator {
  return (target, propertyKey, descriptor) => {
    const where = `@Cached on ${describeTarget(target)}.${String(propertyKey)}`;
    if (typeof target === 'function') {
      throw new InvalidOptionsError(`${where}: only instance methods of providers can be cached`);
    }
    if (typeof descriptor.value !== 'function') {
      throw new InvalidOptionsError(`${where}: only methods can be cached, not accessors`);
    }
    writeCachedMetadata(descriptor.value, toMetadata(ttlOrOptions, where));
  };
}

function toMetadata(
  input: Ttl | CachedOptions<never[], never> | undefined,
  where: string,
): CachedMethodMetadata {
  if (!isOptionsObject(input)) {
    const ttl = checkTtl(input, where);
    return { ttl, ...cachePolicy({}, ttl, where) };
  }
  const unknown = Object.keys(input).filter((name) => !OPTION_NAMES.has(name));
  if (unknown.length > 0) {
    throw new InvalidOptionsError(
      `${where}: unknown option ${unknown.join(', ')}; valid options are ${[...OPTION_NAMES].join(', ')}`,
    );
  }
  const { ttl, key, store, condition } = input;
  for (const [name, fn] of [
    ['key', key],
    ['condition', condition],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new InvalidOptionsError(
        `${where}: ${name} must be a function; got ${describeValue(fn)}`,
      );
    }
  }
  if (store !== undefined) withContext(where, () => assertStoreName(store));
  const checkedTtl = checkTtl(ttl, where);
  return {
    ...cachePolicy(input, checkedTtl, where, { tagFunctions: true }),
    ttl: checkedTtl,
    key: key as CachedMethodMetadata['key'],
    store,
    condition: condition as CachedMethodMetadata['condition'],
  };
}

/** An object with any `@Cached` option name is options; any other object is a duration. */
function isOptionsObject(input: unknown): input is CachedOptions<never[], never> {
  return (
    typeof input === 'object' &&
    input !== null &&
    Object.keys(input).some((name) => OPTION_NAMES.has(name))
  );
}

function checkTtl(ttl: Ttl | undefined, where: string): Ttl | undefined {
  if (ttl !== undefined) withContext(where, () => ttlToMilliseconds(ttl, 'ttl'));
  return ttl;
}

/** Rethrows a library error as an options error that names the decorated method. */
function withContext(where: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof KvStoreError)) throw error;
    throw new InvalidOptionsError(`${where}: ${error.message}`);
  }
}

function describeTarget(target: object): string {
  if (typeof target === 'function') return target.name;
  return target.constructor.name;
}
