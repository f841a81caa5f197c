import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { jest } from '@jest/globals';
import {
  createStore,
  getKvStoreToken,
  InjectKvStore,
  InvalidOptionsError,
  KvCacheService,
  KvStore,
  KvStoreHealthIndicator,
  KvStoreModule,
  kvStoreOptionsFromEnv,
  type KvStoreModuleOptions,
  type KvStoreOptionsFactory,
  MemoryStore,
} from '../../lib/index.js';

@Injectable()
class NeedsStore {
  // No @Inject: the abstract KvStore class is the token, read from the parameter type.
  constructor(readonly store: KvStore) {}
}

@Injectable()
class NeedsSessions {
  constructor(
    @InjectKvStore('sessions') readonly sessions: KvStore,
    @InjectKvStore() readonly main: KvStore,
  ) {}
}

/** Compiles a testing module and remembers it so every test's app is closed afterwards. */
const opened: TestingModule[] = [];
async function compile(
  imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
  providers: NonNullable<Parameters<typeof Test.createTestingModule>[0]['providers']> = [],
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports, providers }).compile();
  opened.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((moduleRef) => moduleRef.close()));
});

describe('KvStoreModule.forRoot', () => {
  it('gives an in-memory store, injected by its KvStore type without a decorator', async () => {
    const app = await compile([KvStoreModule.forRoot()], [NeedsStore]);
    const { store } = app.get(NeedsStore);
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.backend).toBe('memory');
    await store.put('a', 1);
    expect(await app.get(KvStore).get('a')).toBe(1);
  });

  it('passes store options to the store, and keeps isGlobal and name out of them', async () => {
    const app = await compile(
      [KvStoreModule.forRoot({ isGlobal: true, defaultTtl: 60, maxEntries: 2 })],
      [NeedsStore],
    );
    const { store } = app.get(NeedsStore);
    await store.put('k', 'v');
    expect(await store.ttl('k')).toBeGreaterThan(59);
    await store.put('k2', 'v');
    await store.put('k3', 'v');
    expect((await store.getStats()).totalKeys).toBe(2);
  });

  it('with isGlobal, makes the store injectable in modules that do not import KvStoreModule', async () => {
    @Module({ providers: [NeedsStore], exports: [NeedsStore] })
    class FeatureModule {}
    const app = await compile([KvStoreModule.forRoot({ isGlobal: true }), FeatureModule]);
    expect(app.get(NeedsStore).store).toBeInstanceOf(MemoryStore);
  });

  it('with isGlobal, also makes KvCacheService and KvStoreHealthIndicator injectable everywhere', async () => {
    @Injectable()
    class UsesServices {
      constructor(
        readonly cache: KvCacheService,
        readonly health: KvStoreHealthIndicator,
      ) {}
    }
    @Module({ providers: [UsesServices] })
    class FeatureModule {}
    const app = await compile([KvStoreModule.forRoot({ isGlobal: true }), FeatureModule]);
    const { cache, health } = app.get(UsesServices);
    expect(cache).toBeInstanceOf(KvCacheService);
    expect(await health.isHealthy('kv')).toEqual({
      kv: { status: 'up', backend: 'memory', store: 'default' },
    });
  });

  it('without isGlobal, keeps the store to the module that imports it', async () => {
    @Module({ providers: [NeedsStore] })
    class FeatureModule {}
    // A store handed in, because Nest runs no shutdown hook after a failed boot: the test closes it.
    const mine = createStore();
    await expect(
      Test.createTestingModule({
        imports: [KvStoreModule.forRoot({ store: mine }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/KvStore/);
    await mine.close();
  });

  it('rejects malformed store options at boot with the store error', async () => {
    await expect(
      Test.createTestingModule({
        imports: [KvStoreModule.forRoot({ maxEntries: -1 })],
      }).compile(),
    ).rejects.toThrow(/maxEntries/);
    await expect(
      Test.createTestingModule({
        imports: [KvStoreModule.forRoot({ type: 'nope' } as unknown as KvStoreModuleOptions)],
      }).compile(),
    ).rejects.toThrow(InvalidOptionsError);
  });

  it('asks for sentinelName in forRoot, where name is the store name', () => {
    expect(() =>
      KvStoreModule.forRoot({
        type: 'redis',
        sentinels: [{ host: 'localhost' }],
        name: 'mymaster',
      } as unknown as KvStoreModuleOptions),
    ).toThrow(/give the Sentinel primary's name as sentinelName; name is the store name/);
    expect(() =>
      KvStoreModule.forRoot({
        name: 'sessions',
        type: 'redis',
        sentinels: [{ host: 'localhost' }],
        sentinelName: 'mymaster',
        waitForConnection: false,
      }),
    ).not.toThrow();
  });
});

describe('named stores', () => {
  it('registers any number of named stores next to the default one', async () => {
    const app = await compile(
      [
        KvStoreModule.forRoot(),
        KvStoreModule.forRoot({ name: 'sessions', defaultTtl: 30 }),
        KvStoreModule.forRoot({ name: 'jobs' }),
      ],
      [NeedsSessions],
    );
    const { sessions, main } = app.get(NeedsSessions);
    expect(sessions).toBeInstanceOf(MemoryStore);
    expect(sessions).not.toBe(main);
    expect(app.get(getKvStoreToken('sessions'))).toBe(sessions);
    expect(app.get(getKvStoreToken())).toBe(main);
    expect(app.get(getKvStoreToken('jobs'))).not.toBe(sessions);
    await sessions.put('s', 1);
    expect(await sessions.ttl('s')).toBeGreaterThan(29);
    expect(await main.get('s')).toBeUndefined();
  });

  it('fails the boot when one name is registered twice, and closes the store already opened', async () => {
    const first = createStore();
    await expect(
      Test.createTestingModule({
        imports: [
          KvStoreModule.forRoot({ name: 'sessions', store: first, closeOnShutdown: true }),
          KvStoreModule.forRoot({ name: 'sessions' }),
        ],
      }).compile(),
    ).rejects.toThrow(/store "sessions" is registered twice/);
    // Nest runs no shutdown hooks after a failed boot, so the module closes what it opened.
    expect(first.isClosed).toBe(true);
  });

  it('fails the boot when the default store is registered twice', async () => {
    @Module({ imports: [KvStoreModule.forRoot()] })
    class FeatureModule {}
    await expect(
      Test.createTestingModule({ imports: [KvStoreModule.forRoot(), FeatureModule] }).compile(),
    ).rejects.toThrow(/the default store is registered twice/);
  });

  it('rejects an empty store name when the module is declared', () => {
    expect(() => KvStoreModule.forRoot({ name: '' })).toThrow(InvalidOptionsError);
    expect(() => getKvStoreToken('')).toThrow(/non-empty string/);
  });

  it('keeps registrations per app: two apps in one process may use the same names', async () => {
    const a = await compile([KvStoreModule.forRoot({ name: 'sessions' })]);
    const b = await compile([KvStoreModule.forRoot({ name: 'sessions' })]);
    expect(a.get(getKvStoreToken('sessions'))).not.toBe(b.get(getKvStoreToken('sessions')));
  });
});

describe('KvStoreModule.forRootAsync', () => {
  class OptionsFactory implements KvStoreOptionsFactory {
    createKvStoreOptions(): KvStoreModuleOptions {
      return { defaultTtl: 42 };
    }
  }

  @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
  class OptionsModule {}

  async function defaultTtlOf(app: TestingModule): Promise<number | null | undefined> {
    const store = app.get(KvStore);
    await store.put('probe', 1);
    return store.ttl('probe');
  }

  it('takes options from useFactory with injected dependencies', async () => {
    const app = await compile([
      KvStoreModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFactory],
        useFactory: async (factory: OptionsFactory) => factory.createKvStoreOptions(),
      }),
    ]);
    expect(await defaultTtlOf(app)).toBeCloseTo(42, 0);
  });

  it('takes options from a useClass factory', async () => {
    const app = await compile([KvStoreModule.forRootAsync({ useClass: OptionsFactory })]);
    expect(await defaultTtlOf(app)).toBeCloseTo(42, 0);
  });

  it('takes options from an existing provider with useExisting', async () => {
    const app = await compile([
      KvStoreModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFactory }),
    ]);
    expect(await defaultTtlOf(app)).toBeCloseTo(42, 0);
  });

  it('registers named and global stores, with name and isGlobal next to the factory', async () => {
    @Module({ providers: [NeedsSessions] })
    class FeatureModule {}
    const app = await compile([
      KvStoreModule.forRootAsync({ isGlobal: true, useFactory: () => ({}) }),
      KvStoreModule.forRootAsync({ name: 'sessions', isGlobal: true, useFactory: () => ({}) }),
      FeatureModule,
    ]);
    const { sessions, main } = app.get(NeedsSessions);
    expect(sessions).toBe(app.get(getKvStoreToken('sessions')));
    expect(main).toBe(app.get(KvStore));
  });

  it('configures the store from ConfigService and KV_* variables (the recipe in docs/nestjs.md)', async () => {
    const app = await compile([
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        ignoreEnvVars: true,
        load: [() => ({ KV_STORE_TYPE: 'memory', KV_DEFAULT_TTL: '42', KV_MAX_ENTRIES: 100 })],
      }),
      KvStoreModule.forRootAsync({
        isGlobal: true,
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => kvStoreOptionsFromEnv(config),
      }),
    ]);
    expect(await defaultTtlOf(app)).toBeCloseTo(42, 0);
  });

  it('fails the boot with a clear message when the factory returns no options', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          KvStoreModule.forRootAsync({
            useFactory: () => undefined as unknown as KvStoreModuleOptions,
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/options of the default store must be an object; got undefined/);
  });
});

describe('a store instance handed in', () => {
  it('is provided as is and left open at shutdown', async () => {
    const mine = createStore();
    const app = await compile([KvStoreModule.forRoot({ store: mine })], [NeedsStore]);
    expect(app.get(NeedsStore).store).toBe(mine);
    await app.close();
    expect(mine.isClosed).toBe(false);
    await mine.close();
  });

  it('is closed at shutdown with closeOnShutdown: true', async () => {
    const mine = createStore();
    const app = await compile([KvStoreModule.forRoot({ store: mine, closeOnShutdown: true })]);
    await app.close();
    expect(mine.isClosed).toBe(true);
  });

  it('cannot be combined with store options', async () => {
    const mine = createStore();
    await expect(
      Test.createTestingModule({
        imports: [
          KvStoreModule.forRoot({ store: mine, defaultTtl: 5 } as unknown as KvStoreModuleOptions),
        ],
      }).compile(),
    ).rejects.toThrow(/pass a store instance and store options \(defaultTtl\)/);
    expect(mine.isClosed).toBe(false);
    await mine.close();
  });

  it('must be a KvStore', async () => {
    await expect(
      Test.createTestingModule({
        imports: [KvStoreModule.forRoot({ store: {} as KvStore })],
      }).compile(),
    ).rejects.toThrow(/must be a KvStore instance/);
  });
});

describe('shutdown', () => {
  it('closes every store the module created when the app closes', async () => {
    const app = await compile([
      KvStoreModule.forRoot(),
      KvStoreModule.forRoot({ name: 'sessions' }),
    ]);
    const stores = [app.get(KvStore), app.get<KvStore>(getKvStoreToken('sessions'))];
    expect(stores.map((store) => store.isClosed)).toEqual([false, false]);
    await app.close();
    expect(stores.map((store) => store.isClosed)).toEqual([true, true]);
  });

  it('still closes the other stores when one fails to close (the failure is logged)', async () => {
    const failing = createStore();
    const close = failing.close.bind(failing);
    failing.close = () => Promise.reject(new Error('boom'));
    const app = await compile([
      KvStoreModule.forRoot({ store: failing, closeOnShutdown: true }),
      KvStoreModule.forRoot({ name: 'other' }),
    ]);
    const other = app.get<KvStore>(getKvStoreToken('other'));
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await expect(app.close()).resolves.toBeUndefined();
      expect(logged.mock.calls.map(([message]) => message)).toEqual([
        'Closing the default store failed: boom',
      ]);
    } finally {
      logged.mockRestore();
    }
    expect(other.isClosed).toBe(true);
    // afterEach closes the app once more: let that close succeed quietly.
    failing.close = close;
    await close();
  });
});

describe('injection without an explicit token', () => {
  it('resolves a class-typed constructor parameter under ts-jest ESM (emitDecoratorMetadata)', async () => {
    @Injectable()
    class Explicit {
      constructor(@Inject(KvStore) readonly store: KvStore) {}
    }
    const app = await compile([KvStoreModule.forRoot()], [NeedsStore, Explicit]);
    expect(app.get(NeedsStore).store).toBe(app.get(Explicit).store);
  });
});
