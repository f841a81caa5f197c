import { InvalidOptionsError } from '../core/errors.js';
import { KvStore } from '../core/kv-store.js';
import { describeValue } from '../core/describe-value.js';
import { createStore, type StoreOptions } from '../create-store.js';
import type { KvStoreModuleOptions } from './kv-store-module-options.js';
import { describeStore } from './kv-store.tokens.js';

/** A store ready to be provided, with who owns it. */
export interface OpenedStore {
  store: KvStore;
  /** True when the module must close the store at shutdown. */
  closeOnShutdown: boolean;
  /** True when the boot must wait for the store to answer a ping. */
  waitForConnection: boolean;
}

const INSTANCE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'store',
  'closeOnShutdown',
  'waitForConnection',
]);

/**
 * Turns module options into a store: creates one from `createStore` options, or takes the instance
 * handed in. Throws {@link InvalidOptionsError} naming the store for malformed options.
 */
export function storeFromModuleOptions(
  options: KvStoreModuleOptions,
  name: string | undefined,
): OpenedStore {
  const which = describeStore(name);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(
      `KvStoreModule options of ${which} must be an object; got ${describeValue(options)}` +
        ' (does the forRootAsync factory return the options?)',
    );
  }
  const waitForConnection = readBoolean(options, 'waitForConnection', which) ?? true;
  if ('store' in options) {
    if (!(options.store instanceof KvStore)) {
      throw new InvalidOptionsError(
        `KvStoreModule option store of ${which} must be a KvStore instance (for example from createStore()); got ${describeValue(options.store)}`,
      );
    }
    const extra = Object.keys(options).filter((key) => !INSTANCE_OPTION_NAMES.has(key));
    if (extra.length > 0) {
      throw new InvalidOptionsError(
        `KvStoreModule options of ${which} pass a store instance and store options (${extra.join(', ')}); ` +
          'configure the instance when creating it, or drop store and let the module create it',
      );
    }
    return {
      store: options.store,
      closeOnShutdown: readBoolean(options, 'closeOnShutdown', which) ?? false,
      waitForConnection,
    };
  }
  if ('closeOnShutdown' in options) {
    throw new InvalidOptionsError(
      `KvStoreModule option closeOnShutdown of ${which} only applies to a store instance passed as store; ` +
        'stores the module creates are always closed at shutdown',
    );
  }
  // waitForConnection is the module's option; the store must not see it.
  const storeOptions: Record<string, unknown> = { ...options };
  delete storeOptions.waitForConnection;
  return {
    store: createStore(storeOptions as StoreOptions),
    closeOnShutdown: true,
    waitForConnection,
  };
}

function readBoolean(options: object, key: string, which: string): boolean | undefined {
  const value: unknown = (options as Record<string, unknown>)[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidOptionsError(
    `KvStoreModule option ${key} of ${which} must be true or false; got ${describeValue(value)}`,
  );
}
