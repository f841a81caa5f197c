import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConnectionError, InvalidOptionsError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { nameStoreTelemetry } from '../telemetry/instrument-store.js';
import type { KvStoreModuleOptions } from './kv-store-module-options.js';
import { describeStore } from './kv-store.tokens.js';
import { storeFromModuleOptions } from './store-from-module-options.js';

/** Registry key of the default store; names are non-empty strings, so they never clash with it. */
const DEFAULT_STORE = Symbol('default store');
type RegistryKey = string | typeof DEFAULT_STORE;

interface Registration {
  name: string | undefined;
  /** Set once the store exists; a name is claimed before its store is created. */
  store?: KvStore;
  closeOnShutdown: boolean;
}

/**
 * The stores of one application. One instance per app (it lives in the module every
 * `KvStoreModule.forRoot*` imports), so two apps in one process never share stores or names.
 * It rejects a second registration of a name, lets `@Cached` and the health indicator find
 * stores by name, and closes the stores it owns when the app shuts down.
 * @internal
 */
@Injectable()
export class KvStoreRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('KvStoreModule');
  private readonly registrations = new Map<RegistryKey, Registration>();
  /** Set when a store failed to open: the boot is over, so later stores are closed at once. */
  private bootFailed = false;

  /**
   * Opens the store of one `forRoot*` registration: claims its name, creates (or takes) the
   * store and, unless `waitForConnection: false`, waits for it to answer a ping. On any failure
   * every store opened so far is closed (Nest runs no shutdown hooks after a failed boot) and
   * the error is rethrown.
   */
  async open(name: string | undefined, options: KvStoreModuleOptions): Promise<KvStore> {
    try {
      const registration = this.claim(name);
      const opened = storeFromModuleOptions(options, name);
      registration.store = opened.store;
      nameStoreTelemetry(opened.store, name ?? 'default');
      registration.closeOnShutdown = opened.closeOnShutdown;
      if (this.bootFailed) {
        // Another store already failed the boot and Nest will discard this one: close it now.
        await this.closeOwned();
        return opened.store;
      }
      if (opened.waitForConnection) {
        await this.waitForConnection(name, opened.store);
      } else {
        this.warnWhenUnreachable(name, opened.store);
      }
      return opened.store;
    } catch (error) {
      this.bootFailed = true;
      await this.closeOwned();
      throw error;
    }
  }

  /** The store registered under `name` (default store when undefined), or undefined. */
  find(name: string | undefined): KvStore | undefined {
    return this.registrations.get(name ?? DEFAULT_STORE)?.store;
  }

  /** Names of the registered stores, the default store as `undefined`. */
  names(): Array<string | undefined> {
    return [...this.registrations.values()].map((registration) => registration.name);
  }

  /** Closes every store the module created (and instances handed in with `closeOnShutdown`). */
  async onApplicationShutdown(): Promise<void> {
    await this.closeOwned();
  }

  private claim(name: string | undefined): Registration {
    const key = name ?? DEFAULT_STORE;
    if (this.registrations.has(key)) {
      const how = name === undefined ? 'without a name' : `with name ${JSON.stringify(name)}`;
      throw new InvalidOptionsError(
        `KvStoreModule: ${describeStore(name)} is registered twice (KvStoreModule.forRoot/forRootAsync ${how}); ` +
          'register each store once, with isGlobal: true or in a shared module, and give other stores their own name',
      );
    }
    const registration: Registration = { name, closeOnShutdown: false };
    this.registrations.set(key, registration);
    return registration;
  }

  private async waitForConnection(name: string | undefined, store: KvStore): Promise<void> {
    try {
      await store.ping();
    } catch (error) {
      throw new ConnectionError(
        `KvStoreModule: ${describeStore(name)} (${store.backend}) did not answer at boot: ${messageOf(error)}. ` +
          'Check its connection options, or set waitForConnection: false to start without it ' +
          'and let the store reconnect in the background',
        error,
      );
    }
  }

  /** With `waitForConnection: false` the boot goes on; an unreachable store is still worth a log line. */
  private warnWhenUnreachable(name: string | undefined, store: KvStore): void {
    store.ping().catch((error: unknown) => {
      if (store.isClosed) return;
      this.logger.warn(
        `${describeStore(name)} (${store.backend}) is not reachable yet; the app starts anyway and the store keeps reconnecting: ${messageOf(error)}`,
      );
    });
  }

  private async closeOwned(): Promise<void> {
    const owned = [...this.registrations.values()].filter(
      (registration) => registration.closeOnShutdown && registration.store !== undefined,
    );
    const results = await Promise.allSettled(
      owned.map((registration) => registration.store?.close()),
    );
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        // Shutdown must go on for the other stores and hooks; the failure is only reported.
        this.logger.error(
          `Closing ${describeStore(owned[index]?.name)} failed: ${messageOf(result.reason)}`,
        );
      }
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
