import type { CommonStoreOptions, KvStore } from '../../lib/index.js';

/** Creates a fresh, empty store for one test; the suite closes it afterwards. */
export type StoreFactory = (options: CommonStoreOptions) => KvStore | Promise<KvStore>;

/** What every area of the contract suite gets from the runner. */
export interface ConformanceContext {
  /** The backend's factory, for tests that manage a store's life themselves (close, dispose). */
  factory: StoreFactory;
  /** Opens a store with options; the runner clears and closes it after the test. */
  open(options?: CommonStoreOptions): Promise<KvStore>;
  /** The store the runner opened for the current test. */
  current(): KvStore;
}
