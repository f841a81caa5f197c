import type { KvStore } from '../core/kv-store.js';
import type { StoreOptions } from '../create-store.js';

/** Boot behaviour shared by every way of configuring a store. */
export interface KvStoreBootOptions {
  /**
   * Default `true`: the module awaits `store.ping()` while the app boots, so an unreachable Redis
   * fails the boot within the store's `timeout` with a `ConnectionError`. `false`: the app starts
   * anyway, a warning is logged, and the store keeps reconnecting in the background (calls reject
   * with `ConnectionError` until it is back).
   */
  waitForConnection?: boolean;
}

/** Options that make the module create (and, at shutdown, close) a store: `createStore` options. */
export type KvStoreCreateOptions = StoreOptions & KvStoreBootOptions;

/** Options that hand the module a store the application created itself. */
export interface KvStoreInstanceOptions extends KvStoreBootOptions {
  /** The store to provide. The module does not create or configure it. */
  store: KvStore;
  /**
   * Default `false`: the store is left open at shutdown, because whoever created it owns it.
   * `true`: the module closes it on application shutdown like the stores it creates.
   */
  closeOnShutdown?: boolean;
}

/**
 * What `KvStoreModule.forRoot()` and the `forRootAsync()` factories return: either `createStore`
 * options (the module creates the store and closes it at shutdown), or `{ store }` with an
 * existing store instance.
 */
export type KvStoreModuleOptions = KvStoreCreateOptions | KvStoreInstanceOptions;

/**
 * Options that shape the module itself rather than the store; given next to the store options in
 * `forRoot({...})` and next to `useFactory` in `forRootAsync({...})`. They never reach `createStore`.
 */
export interface KvStoreModuleExtras {
  /**
   * Registers a named store, injected with `@InjectKvStore(name)`. Omitted: the default store,
   * injected as `KvStore`. Each name (and the default) may be registered once per application.
   */
  name?: string;
  /** Makes the store (and `KvCacheService`, `KvStoreHealthIndicator`) injectable in every module. */
  isGlobal?: boolean;
}
