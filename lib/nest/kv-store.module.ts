import { type DynamicModule, Module } from '@nestjs/common';
import {
  ConfigurableKvStoreModule,
  type KvStoreForRootAsyncOptions,
  type KvStoreForRootOptions,
} from './kv-store.module-definition.js';

/**
 * Provides a `KvStore` to a Nest application.
 *
 * - `KvStoreModule.forRoot()` — the default store, in memory; `forRoot({ type: 'redis', url })` for Redis.
 * - `KvStoreModule.forRootAsync({ imports, inject, useFactory })` — options from `ConfigService` etc.
 * - `name: 'sessions'` registers a named store (`@InjectKvStore('sessions')`); `isGlobal: true`
 *   makes it injectable everywhere.
 *
 * Every registration also brings `KvCacheService` (the `@Cached` runtime) and `KvStoreHealthIndicator`.
 * Stores the module creates are closed on application shutdown.
 */
@Module({})
export class KvStoreModule extends ConfigurableKvStoreModule {
  /** Registers a store from options; without options, the default in-memory store. */
  static override forRoot(options: KvStoreForRootOptions = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers a store whose options come from a factory, a class or an existing provider. */
  static override forRootAsync(options: KvStoreForRootAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}
