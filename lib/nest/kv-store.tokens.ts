import { InvalidOptionsError } from '../core/errors.js';
import { KvStore } from '../core/kv-store.js';
import { describeValue } from '../core/describe-value.js';

/** Prefix of the string tokens of named stores, e.g. `kv-store:sessions`. */
const NAMED_STORE_TOKEN_PREFIX = 'kv-store:';

/**
 * The injection token of a store: the abstract `KvStore` class for the default (unnamed) store,
 * so `constructor(private readonly store: KvStore)` needs no decorator, and the string
 * `kv-store:<name>` for a named store. Use it in custom providers and in tests
 * (`moduleRef.get(getKvStoreToken('sessions'))`, `overrideProvider(getKvStoreToken())`).
 */
export function getKvStoreToken(name?: string): typeof KvStore | string {
  if (name === undefined) return KvStore;
  assertStoreName(name);
  return `${NAMED_STORE_TOKEN_PREFIX}${name}`;
}

/** How a store is named in messages: `the default store` or `store "sessions"`. */
export function describeStore(name: string | undefined): string {
  return name === undefined ? 'the default store' : `store ${JSON.stringify(name)}`;
}

/** Throws {@link InvalidOptionsError} unless `name` is a non-empty string. */
export function assertStoreName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new InvalidOptionsError(
      `a KvStoreModule store name must be a non-empty string; got ${describeValue(name)}`,
    );
  }
}
