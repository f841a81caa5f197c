import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Cache } from 'cache-manager';
import Keyv from 'keyv';
import {
  KeyvKvStoreAdapter,
  type KeyvKvStoreAdapterOptions,
  KvStore,
  KvStoreModule,
  StoreClosedError,
} from '../../lib/index.js';

/** What the final write in beforeApplicationShutdown saw. */
interface ShutdownOutcome {
  /** What cache.set / cache.get threw, if anything (Keyv swallows store errors into `false`). */
  error?: unknown;
  readBack?: unknown;
  /** What a direct put on the module's KvStore threw, if anything. */
  directWriteError?: unknown;
  storeClosedAtHook?: boolean;
}

function appWith(adapterOptions: KeyvKvStoreAdapterOptions, outcome: ShutdownOutcome) {
  @Injectable()
  class FinalWrites implements BeforeApplicationShutdown {
    constructor(
      @Inject(CACHE_MANAGER) private readonly cache: Cache,
      @Inject(KvStore) private readonly store: KvStore,
    ) {}

    async beforeApplicationShutdown(): Promise<void> {
      outcome.storeClosedAtHook = this.store.isClosed;
      try {
        await this.cache.set('last-words', { saved: true }, 60_000);
        outcome.readBack = await this.cache.get('last-words');
      } catch (error) {
        outcome.error = error;
      }
      try {
        await this.store.put('final-report', 'written at shutdown');
      } catch (error) {
        outcome.directWriteError = error;
      }
    }
  }

  // The recipe of docs/coming-from-cache-manager.md, with the adapter options under test.
  const cacheModule: DynamicModule = CacheModule.registerAsync({
    isGlobal: true,
    inject: [KvStore],
    useFactory: (store: KvStore) => ({
      stores: [
        new Keyv({
          store: new KeyvKvStoreAdapter(store, adapterOptions),
          serialize: undefined,
          deserialize: undefined,
        }),
      ],
    }),
  });

  @Module({
    imports: [KvStoreModule.forRoot({ isGlobal: true }), cacheModule],
    providers: [FinalWrites],
  })
  class AppModule {}
  return AppModule;
}

describe('@nestjs/cache-manager CacheModule on the module’s KvStore (Keyv adapter)', () => {
  it('caches through CACHE_MANAGER into the KvStore as a plain value', async () => {
    const app = await NestFactory.createApplicationContext(appWith({}, {}), { logger: false });
    try {
      const cache = app.get<Cache>(CACHE_MANAGER);
      const store = app.get(KvStore);
      await cache.set('page:/home', '<html>', 60_000);
      expect(await cache.get('page:/home')).toBe('<html>');
      expect(await store.get('keyv:page:/home')).toMatchObject({ value: '<html>' });
    } finally {
      await app.close();
    }
  });

  it('lets a write in beforeApplicationShutdown succeed, and the module still closes the store', async () => {
    const outcome: ShutdownOutcome = {};
    const app = await NestFactory.createApplicationContext(appWith({}, outcome), {
      logger: false,
    });
    const store = app.get(KvStore);
    await app.close();
    expect(outcome.storeClosedAtHook).toBe(false);
    expect(outcome.error).toBeUndefined();
    expect(outcome.readBack).toEqual({ saved: true });
    expect(outcome.directWriteError).toBeUndefined();
    expect(store.isClosed).toBe(true);
  });

  it('with closeStoreOnDisconnect: true, CacheModule closes the shared store before that hook', async () => {
    const outcome: ShutdownOutcome = {};
    const app = await NestFactory.createApplicationContext(
      appWith({ closeStoreOnDisconnect: true }, outcome),
      { logger: false },
    );
    await app.close();
    expect(outcome.storeClosedAtHook).toBe(true);
    expect(outcome.readBack).toBeUndefined();
    expect(outcome.directWriteError).toBeInstanceOf(StoreClosedError);
  });
});
