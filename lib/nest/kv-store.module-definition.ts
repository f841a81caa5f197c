import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { InvalidOptionsError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import type { KvStoreModuleExtras, KvStoreModuleOptions } from './kv-store-module-options.js';
import { KvStoreCoreModule } from './kv-store-core.module.js';
import { KvStoreRegistry } from './kv-store.registry.js';
import { assertStoreName, getKvStoreToken } from './kv-store.tokens.js';

/**
 * Token of the options of one `forRoot*` registration. Every registration is its own module
 * (`alwaysTransient`), so each store sees its own options under this token.
 */
const KV_STORE_MODULE_OPTIONS = 'KV_STORE_MODULE_OPTIONS';

/** Defaults of the module-shaping options: the default store, not global. */
const DEFAULT_EXTRAS: KvStoreModuleExtras = { name: undefined, isGlobal: false };

/** Adds the store provider of one registration and the shared per-app services. */
function defineStoreModule(definition: DynamicModule, extras: KvStoreModuleExtras): DynamicModule {
  const { name, isGlobal } = extras;
  if (name !== undefined) assertStoreName(name);
  // forRoot hands every option to this function too, so `name` here is the store name.
  if ('sentinels' in extras && !('sentinelName' in extras)) {
    throw new InvalidOptionsError(
      "KvStoreModule.forRoot: give the Sentinel primary's name as sentinelName; name is the store name in KvStoreModule",
    );
  }
  const token = getKvStoreToken(name);
  const storeProvider: Provider<Promise<KvStore>> = {
    provide: token,
    inject: [KV_STORE_MODULE_OPTIONS, KvStoreRegistry],
    useFactory: (options: KvStoreModuleOptions, registry: KvStoreRegistry) =>
      registry.open(name, options),
  };
  return {
    ...definition,
    global: isGlobal === true,
    imports: [...(definition.imports ?? []), KvStoreCoreModule],
    providers: [...(definition.providers ?? []), storeProvider],
    exports: [token, KvStoreCoreModule],
  };
}

/** @internal The pieces `ConfigurableModuleBuilder` generates for `KvStoreModule`. */
export const {
  ConfigurableModuleClass: ConfigurableKvStoreModule,
  OPTIONS_TYPE: KV_STORE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: KV_STORE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<KvStoreModuleOptions>({
  optionsInjectionToken: KV_STORE_MODULE_OPTIONS,
  // Each forRoot* call is a registration of its own, whatever module id algorithm the app uses,
  // so registering one name twice is always detected instead of being silently merged.
  alwaysTransient: true,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createKvStoreOptions')
  .setExtras(DEFAULT_EXTRAS, defineStoreModule)
  .build();

/** What `KvStoreModule.forRoot()` accepts: store options (or `{ store }`) plus `name` and `isGlobal`. */
export type KvStoreForRootOptions = typeof KV_STORE_OPTIONS_TYPE;

/**
 * What `KvStoreModule.forRootAsync()` accepts: `imports`, `inject` and one of `useFactory`,
 * `useClass`, `useExisting` (classes implement {@link KvStoreOptionsFactory}), plus `name` and
 * `isGlobal` (they shape the module, so they cannot come from the factory).
 */
export type KvStoreForRootAsyncOptions = typeof KV_STORE_ASYNC_OPTIONS_TYPE;

/** A class for `forRootAsync({ useClass })` or `useExisting` that builds the store options. */
export interface KvStoreOptionsFactory {
  /** Returns the options of the store, like the argument of `forRoot()` without `name`/`isGlobal`. */
  createKvStoreOptions(): KvStoreModuleOptions | Promise<KvStoreModuleOptions>;
}
