import { InvalidOptionsError } from './core/errors.js';
import type { KvStore } from './core/kv-store.js';
import { describeValue } from './core/describe-value.js';
import { MemoryStore } from './memory/memory-store.js';
import type { MemoryStoreOptions } from './memory/memory-store-options.js';
import { RedisStore } from './redis/redis-store.js';
import type { RedisStoreOptions } from './redis/options/redis-store-options.js';

/** Options of `createStore`: a discriminated union on `type` (default `'memory'`). */
export type StoreOptions =
  | ({
      /** The in-memory store (the default). */
      type?: 'memory';
    } & MemoryStoreOptions)
  | ({
      /** The Redis store (standalone, Sentinel or Cluster). */
      type: 'redis';
    } & RedisStoreOptions);

/** Every backend `type` that `createStore` knows. */
export const STORE_TYPES = ['memory', 'redis'] as const;

/** Creates a store from options; throws `InvalidOptionsError` for an unknown type or bad options. */
export function createStore(options: StoreOptions = {}): KvStore {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError(`store options must be an object; got ${describeValue(options)}`);
  }
  const { type = 'memory', ...rest } = options as { type?: unknown };
  switch (type) {
    case 'memory':
      return new MemoryStore(rest as MemoryStoreOptions);
    case 'redis':
      return new RedisStore(rest as RedisStoreOptions);
    default:
      throw new InvalidOptionsError(
        `Unknown store type ${describeValue(type)}; valid types are ${STORE_TYPES.map((t) => `'${t}'`).join(', ')}`,
      );
  }
}

/**
 * Creates a store, hands it to `work`, and closes it in `finally` whatever happens;
 * resolves what `work` resolves.
 */
export async function withStore<R>(
  options: StoreOptions,
  work: (store: KvStore) => Promise<R> | R,
): Promise<R> {
  const store = createStore(options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
