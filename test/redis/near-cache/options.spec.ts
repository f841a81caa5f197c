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
      'nearCache options has an unknown option "ttl"; valid options are maxEntries, maxBytes, maxAge, mode',
    ],
    [
      { maxEntries: 10, maxBytes: 0 },
      'nearCache.maxBytes must be a positive integer (bytes); got 0',
    ],
    [
      { maxEntries: 10, maxBytes: '1mb' },
      'nearCache.maxBytes must be a positive integer (bytes); got "1mb"',
    ],
    [{ maxEntries: 10, maxAge: 0 }, 'nearCache.maxAge must be a positive number of seconds; got 0'],
    [
      { maxEntries: 10, maxAge: Number.POSITIVE_INFINITY },
      'nearCache.maxAge must be a positive number of seconds; got Infinity',
    ],
    [
      { maxEntries: 10, maxAge: '30' },
      'nearCache.maxAge must be a positive number of seconds; got "30"',
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

  it('reads maxBytes and maxAge from KV_NEAR_CACHE_MAX_BYTES and KV_NEAR_CACHE_MAX_AGE', () => {
    expect(
      kvStoreOptionsFromEnv({
        KV_STORE_TYPE: 'redis',
        KV_NEAR_CACHE_MAX_ENTRIES: '5000',
        KV_NEAR_CACHE_MAX_BYTES: '67108864',
        KV_NEAR_CACHE_MAX_AGE: '2.5',
      }),
    ).toEqual({
      type: 'redis',
      nearCache: { maxEntries: 5000, maxBytes: 67_108_864, maxAge: 2.5 },
    });
    expect(() =>
      kvStoreOptionsFromEnv({ KV_STORE_TYPE: 'redis', KV_NEAR_CACHE_MAX_AGE: '10' }),
    ).toThrow(
      'Environment variable KV_NEAR_CACHE_MAX_AGE needs KV_NEAR_CACHE_MAX_ENTRIES, which turns the near cache on',
    );
    expect(() =>
      kvStoreOptionsFromEnv({
        KV_STORE_TYPE: 'redis',
        KV_NEAR_CACHE_MAX_ENTRIES: '10',
        KV_NEAR_CACHE_MAX_BYTES: '1.5',
      }),
    ).toThrow(
      'Environment variable KV_NEAR_CACHE_MAX_BYTES must be a positive integer such as 10000; got "1.5"',
    );
    expect(() => kvStoreOptionsFromEnv({ KV_NEAR_CACHE_MAX_AGE: '10' })).toThrow(
      'Environment variable KV_NEAR_CACHE_MAX_AGE does not apply to KV_STORE_TYPE=memory',
    );
  });

  it('reports its bounds in getStats, maxAge 30 s by default', async () => {
    const server = await startRedis();
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      keyPrefix: uniquePrefix('ncopt'),
      nearCache: { maxEntries: 10 },
    });
    try {
      await store.connect();
      const stats = await nearStats(store);
      expect(stats).toMatchObject({ maxEntries: 10, maxBytes: null, maxAge: 30, bytes: 0 });
    } finally {
      await store.close();
      await server.stop();
    }
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
