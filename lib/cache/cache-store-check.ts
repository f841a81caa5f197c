import { InvalidArgumentError } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import { KvStore } from '../core/kv-store.js';

/** Throws {@link InvalidArgumentError} unless `store` is a `KvStore`, so a cache never fails later on its first call. */
export function assertCacheStore(store: unknown): asserts store is KvStore {
  if (!(store instanceof KvStore)) {
    throw new InvalidArgumentError(
      `KvCache: store must be a KvStore instance (for example from createStore()); got ${describeValue(store)}`,
    );
  }
}
