import { Test } from '@nestjs/testing';
import {
  createStore,
  InvalidOptionsError,
  KvStore,
  KvStoreModule,
  kvStoreOptionsFromEnv,
  RedisStore,
} from '../../../lib/index.js';
import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  type RedisProcess,
} from '../../support/redis-harness.js';
import { nearStats, waitUntilTracking } from './support/near-cache-helpers.js';

describe('nearCache option', () => {
  it.each([
    [null, 'nearCache must be an object { maxEntries }; got null'],
    [10, 'nearCache must be an object { maxEntries }; got 10'],
    [{}, 'nearCache.maxEntries must be a positive integer; got undefined'],
    [{ maxEntries: 0 }, 'nearCache.maxEntries must be a positive integer; got 0'],
    [{ maxEntries: 2.5 }, 'nearCache.maxEntries must be a positive integer; got 2.5'],
    [{ maxEntries: '100' }, 'nearCache.maxEntries must be a positive integer; got "100"'],
    [
      { maxEntries: 10, mode: 'bcast' },
      `nearCache.mode must be 'default' or 'broadcast'; got "bcast"`,
    ],
    [
      { maxEntries: 10, ttl: 5 },
      'nearCache options has an unknown option "ttl"; valid options are maxEntries, mode',
    ],
  ])(
    'rejects nearCache %p with a typed error naming the option, before connecting',
    (value, message) => {
      const create = (): unknown =>
        createStore({ type: 'redis', port: 1, nearCache: value as never });
      expect(create).toThrow(InvalidOptionsError);
      expect(create).toThrow(message);
    },
  );

  it('is read from KV_NEAR_CACHE_MAX_ENTRIES for the Redis store only', () => {
    expect(
      kvStoreOptionsFromEnv({ KV_STORE_TYPE: 'redis', KV_NEAR_CACHE_MAX_ENTRIES: '5000' }),
    ).toEqual({ type: 'redis', nearCache: { maxEntries: 5000 } });
    expect(kvStoreOptionsFromEnv({ KV_STORE_TYPE: 'redis' })).toEqual({ type: 'redis' });
    expect(() =>
      kvStoreOptionsFromEnv({ KV_STORE_TYPE: 'redis', KV_NEAR_CACHE_MAX_ENTRIES: 'lots' }),
    ).toThrow(
      'Environment variable KV_NEAR_CACHE_MAX_ENTRIES must be a positive integer such as 10000; got "lots"',
    );
    expect(() => kvStoreOptionsFromEnv({ KV_NEAR_CACHE_MAX_ENTRIES: '10' })).toThrow(
      'Environment variable KV_NEAR_CACHE_MAX_ENTRIES does not apply to KV_STORE_TYPE=memory',
    );
  });
});

describe('nearCache through KvStoreModule.forRoot and the environment', () => {
  let server: RedisProcess;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('forRoot passes nearCache to the Redis store it creates', async () => {
    const app = await Test.createTestingModule({
      imports: [
        KvStoreModule.forRoot({
          type: 'redis',
          host: LOOPBACK,
          port: server.port,
          keyPrefix: uniquePrefix('near-module'),
          nearCache: { maxEntries: 50 },
        }),
      ],
    }).compile();
    await app.init();
    try {
      const store = app.get(KvStore) as RedisStore;
      await waitUntilTracking(store);
      await store.put('k', 1);
      await store.get('k');
      await store.get('k');
      expect(await nearStats(store)).toMatchObject({ maxEntries: 50, hits: 1, entries: 1 });
    } finally {
      await app.close();
    }
  });

  it('forRoot with options from KV_NEAR_CACHE_MAX_ENTRIES gets a near cache of that size', async () => {
    const app = await Test.createTestingModule({
      imports: [
        KvStoreModule.forRoot(
          kvStoreOptionsFromEnv({
            KV_REDIS_URL: `redis://${LOOPBACK}:${server.port}`,
            KV_KEY_PREFIX: uniquePrefix('near-env'),
            KV_NEAR_CACHE_MAX_ENTRIES: '7',
          }),
        ),
      ],
    }).compile();
    await app.init();
    try {
      const store = app.get(KvStore) as RedisStore;
      expect((await nearStats(store)).maxEntries).toBe(7);
    } finally {
      await app.close();
    }
  });
});
