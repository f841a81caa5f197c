import { Redis } from 'ioredis';
import { RedisStore, createStore, type RedisStoreOptions } from '../../lib/index.js';
import { runDifferential } from '../conformance/differential.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
} from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';
import { standaloneStore } from '../support/redis-stores.js';

let server: SharedServer;
let raw: Redis;

beforeAll(async () => {
  server = sharedStandalone();
  raw = new Redis({ host: LOOPBACK, port: server.port, lazyConnect: true });
  await raw.connect();
});

afterAll(async () => {
  await raw?.quit();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  return standaloneStore(server, 'standalone', options);
}

/** The raw index key of a standalone store: the prefix, byte 0xFF, then "kv-index". */
function indexKey(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.from([0xff]), Buffer.from('kv-index')]);
}

runKvStoreConformance('redis standalone', (options) => open(options));
runDifferential('redis standalone', (options) => open(options));

describe('Redis standalone: layout and Redis specifics', () => {
  const stores: RedisStore[] = [];
  function track(store: RedisStore): RedisStore {
    stores.push(store);
    return store;
  }
  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await store.clear();
      await store.close();
    }
  });

  it('stores user key k at exactly keyPrefix + k, readable from redis-cli', async () => {
    const prefix = uniquePrefix('layout');
    const store = track(open({ keyPrefix: prefix }));
    await store.put('user:1', { name: 'Ada' });
    expect(await raw.get(`${prefix}user:1`)).toBe('{"name":"Ada"}');
    expect(await raw.zrange(indexKey(prefix), '0', '-1')).toEqual(['user:1']);
  });

  it('createStore({ type: "redis" }) builds a RedisStore', async () => {
    const store = createStore({
      type: 'redis',
      host: LOOPBACK,
      port: server.port,
      keyPrefix: uniquePrefix('factory'),
    });
    expect(store).toBeInstanceOf(RedisStore);
    expect(store.backend).toBe('redis');
    await store.ping();
    await store.close();
  });

  it('no user key can overwrite the index, even keys that look like its name', async () => {
    const prefix = uniquePrefix('collide');
    const store = track(open({ keyPrefix: prefix }));
    await store.put('a', 1);
    const lookalikes = ['\u00ffkv-index', '\uffffkv-index', 'kv-index', '\u00ff', '\ufffd'];
    for (const key of lookalikes) await store.put(key, key);
    // Every lookalike is a string key of its own; the index (not valid UTF-8) is untouched.
    expect(await raw.type(indexKey(prefix))).toBe('zset');
    expect(await raw.zcard(indexKey(prefix))).toBe(lookalikes.length + 1);
    const keys = (await store.rangeGet('')).map(([k]) => k);
    expect(keys.sort()).toEqual(['a', ...lookalikes].sort());
    // An empty prefix cannot collide either: every key is valid UTF-8, the index name is not.
    const bare = track(open({ keyPrefix: '' }));
    await bare.put('\u00ffkv-index', 'x');
    expect(await bare.rangeGet('\u00ff')).toEqual([['\u00ffkv-index', 'x']]);
    await bare.delete('\u00ffkv-index');
  });

  it('increment is stored as decimal text that redis-cli reads and INCRBYFLOAT accepts', async () => {
    const prefix = uniquePrefix('counter');
    const store = track(open({ keyPrefix: prefix }));
    expect(await store.increment('hits', 2.5)).toBe(2.5);
    expect(await raw.get(`${prefix}hits`)).toBe('2.5');
    expect(await raw.incrbyfloat(`${prefix}hits`, '1')).toBe('3.5');
    expect(await store.get('hits')).toBe(3.5);
    expect(await store.rangeGet('hits')).toEqual([['hits', 3.5]]);
  });

  it('clear removes only this store’s keys, and stores with other prefixes are untouched', async () => {
    const a = track(open());
    const b = track(open());
    const foreignKey = `${uniquePrefix('foreign')}key`;
    await raw.set(foreignKey, 'keep');
    await a.putMany([
      ['x', 1],
      ['y', 2],
    ]);
    await b.put('x', 'b');
    expect(await a.clear()).toBe(2);
    expect(await b.get('x')).toBe('b');
    expect(await raw.get(foreignKey)).toBe('keep');
    await raw.del(foreignKey);
  });

  it('getStats reports the server and this store’s keys only', async () => {
    const a = track(open());
    const b = track(open());
    await a.putMany([
      ['k1', 1],
      ['k2', 2],
    ]);
    await a.put('e', 1, { ttl: 60 });
    await b.put('other', 1);
    const stats = await a.getStats();
    expect(stats).toMatchObject({
      backend: 'redis',
      topology: 'standalone',
      serializer: 'json',
      totalKeys: 3,
      expiringKeys: 1,
    });
    expect(stats.redisVersion).toMatch(/^\d+\.\d+/);
    expect(stats.usedMemoryHuman).toMatch(/^[\d.]+[BKMG]$/);
    expect(stats.usedMemoryBytes).toBeGreaterThan(0);
  });

  it('rangeGet prunes index entries whose keys expired', async () => {
    const prefix = uniquePrefix('prune');
    const store = track(open({ keyPrefix: prefix, sweepInterval: 3600 }));
    await store.put('live', 1);
    await store.putMany(
      [
        ['gone:1', 1],
        ['gone:2', 2],
      ],
      { ttl: 0.3 },
    );
    expect(await raw.zcard(indexKey(prefix))).toBe(3);
    await new Promise((r) => setTimeout(r, 550));
    expect(await store.rangeGet('')).toEqual([['live', 1]]);
    expect(await raw.zcard(indexKey(prefix))).toBe(1);
  });

  it('sweepIndex() prunes index entries of expired keys on demand', async () => {
    const prefix = uniquePrefix('sweep-now');
    const store = track(open({ keyPrefix: prefix, sweepInterval: 3600 }));
    await store.put('live', 1);
    await store.putMany(
      Array.from({ length: 50 }, (_, i): [string, number] => [`gone:${i}`, i]),
      { ttl: 0.3 },
    );
    await new Promise((r) => setTimeout(r, 550));
    expect(await store.sweepIndex()).toBe(50);
    expect(await raw.zcard(indexKey(prefix))).toBe(1);
  });

  it('multiplexes every command over one connection, within maxConnections', async () => {
    // Every store names its connections alike: on a server of its own, CLIENT LIST shows only this one.
    const own = await startRedis();
    const store = standaloneStore(own, 'standalone', { maxConnections: 1 });
    try {
      await Promise.all(Array.from({ length: 2000 }, (_, i) => store.put(`k:${i % 50}`, i)));
      await Promise.all(Array.from({ length: 2000 }, (_, i) => store.get(`k:${i % 50}`)));
      const list = await redisCli(own.port, 'client', 'list');
      const ours = list.split('\n').filter((line) => line.includes('name=nestjs-kv-store'));
      expect(ours).toHaveLength(1);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it('the background sweep shrinks the index after 100k keys with a 1 s TTL expire, with no reads', async () => {
    const prefix = uniquePrefix('sweep');
    const store = track(open({ keyPrefix: prefix, sweepInterval: 0.5 }));
    const batch: Array<[string, number]> = [];
    for (let i = 0; i < 100_000; i++) {
      batch.push([`k:${i}`, i]);
      if (batch.length === 10_000) await store.putMany(batch.splice(0), { ttl: 1 });
    }
    // The sweep may already be at work on the first batches (written over a second ago).
    expect(await raw.zcard(indexKey(prefix))).toBeGreaterThan(50_000);
    await waitUntil(
      async () => (await raw.zcard(indexKey(prefix))) < 1000,
      // Generous for a loaded machine: the sweep runs at most 50 ms per 0.5 s interval.
      60_000,
      'the sweep to prune the index',
    );
  }, 90_000);
});
