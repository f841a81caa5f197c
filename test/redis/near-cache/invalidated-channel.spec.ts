import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  NEAR_CACHE_INVALIDATED_CHANNEL,
  RedisStore,
  type KvStore,
  type NearCacheInvalidatedMessage,
  type RedisStoreOptions,
} from '../../../lib/index.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../../support/redis-harness.js';
import { nearStats, waitUntilTracking } from './support/near-cache-helpers.js';

/** One announcement, with what a get issued from inside the handler answered. */
interface Heard {
  store: KvStore;
  keys: readonly string[] | null;
  /** `store.get(key)` called synchronously in the handler. */
  readInHandler: Promise<unknown>;
}

let server: RedisProcess;
const stores: RedisStore[] = [];
let heard: Heard[] = [];
/** The key the handler reads back from the announcing store. */
let keyToRead = 'user';
const listener = (message: unknown): void => {
  const { store, keys } = message as NearCacheInvalidatedMessage;
  heard.push({ store, keys, readInHandler: store.get(keyToRead) });
};

beforeAll(async () => {
  server = await startRedis();
});

beforeEach(() => {
  heard = [];
  keyToRead = 'user';
  subscribe(NEAR_CACHE_INVALIDATED_CHANNEL, listener);
});

afterEach(async () => {
  unsubscribe(NEAR_CACHE_INVALIDATED_CHANNEL, listener);
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await server?.stop();
});

async function open(prefix: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: prefix,
    ...options,
  });
  stores.push(store);
  await store.connect();
  if (options.nearCache) await waitUntilTracking(store);
  return store;
}

/** Puts `value` under `key` and reads it twice, so the second get is answered in process. */
async function holdInNearCache(store: RedisStore, key: string, value: unknown): Promise<void> {
  await store.put(key, value);
  await store.get(key);
  const before = await nearStats(store);
  expect(await store.get(key)).toEqual(value);
  expect((await nearStats(store)).hits).toBe(before.hits + 1);
}

describe('Redis near cache: the invalidated diagnostics channel', () => {
  it('announces a key another client changed, once its cached value is gone, naming the store', async () => {
    const prefix = uniquePrefix('near-channel');
    const reader = await open(prefix, { nearCache: { maxEntries: 100 } });
    const bystander = await open(uniquePrefix('near-channel'), { nearCache: { maxEntries: 100 } });
    const writer = await open(prefix);
    await holdInNearCache(reader, 'user', { name: 'Ada' });
    await holdInNearCache(bystander, 'user', { name: 'Bob' });

    await writer.put('user', { name: 'Grace' });
    await waitUntil(() => heard.length > 0, 5000, 'the announcement');

    // Identity, not deep equality: a store is a large object graph.
    expect(heard.map(({ store, keys }) => ({ fromReader: store === reader, keys }))).toEqual([
      { fromReader: true, keys: ['user'] },
    ]);
    // A get issued inside the handler already went to Redis.
    expect(await heard[0]?.readInHandler).toEqual({ name: 'Grace' });
    expect(await bystander.get('user')).toEqual({ name: 'Bob' });
  });

  it('announces a change made with redis-cli, and a FLUSHALL as keys: null', async () => {
    const prefix = uniquePrefix('near-channel');
    const reader = await open(prefix, { nearCache: { maxEntries: 100 } });
    await holdInNearCache(reader, 'user', 'old');

    await redisCli(server.port, 'set', `${prefix}user`, JSON.stringify('new'));
    await waitUntil(() => heard.length > 0, 5000, 'the announcement of the SET');
    expect(heard[0]?.keys).toEqual(['user']);
    expect(await heard[0]?.readInHandler).toBe('new');

    // A key this store never wrote while tracked, so no report of its own write can come late.
    keyToRead = 'profile';
    await holdInNearCache(reader, 'profile', 'held');
    await redisCli(server.port, 'flushall');
    await waitUntil(() => heard.length > 1, 5000, 'the announcement of the FLUSHALL');
    expect(heard[1]?.store === reader).toBe(true);
    expect(heard[1]?.keys).toBeNull();
    expect(await heard[1]?.readInHandler).toBeUndefined();
  });

  it('stays silent about keys the near cache does not hold, though Redis reports them', async () => {
    const prefix = uniquePrefix('near-channel');
    // Broadcast mode: Redis reports every write under the prefix, read by this store or not.
    const reader = await open(prefix, { nearCache: { maxEntries: 100, mode: 'broadcast' } });
    const writer = await open(prefix);
    await holdInNearCache(reader, 'user', 1);
    const before = await nearStats(reader);

    // Each put also changes the store's range index, which Redis reports in the same message.
    await writer.put('never-read', 2);
    await writer.put('user', 3);
    await waitUntil(() => heard.length > 0, 5000, 'the announcement');

    expect((await nearStats(reader)).invalidations).toBeGreaterThanOrEqual(
      before.invalidations + 3,
    );
    expect(heard.map(({ keys }) => keys)).toEqual([['user']]);
    expect(await heard[0]?.readInHandler).toBe(3);
  });
});
