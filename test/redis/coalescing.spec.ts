import { Redis } from 'ioredis';
import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { sharedCluster, type SharedCluster } from '../support/shared-redis/shared-servers.js';

let server: RedisProcess;
let admin: Redis;
const stores: RedisStore[] = [];

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis({ host: LOOPBACK, port: server.port });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin?.quit();
  await server?.stop();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('coalescing'),
    timeout: 5,
    ...options,
  });
  stores.push(store);
  return store;
}

/** Calls of each command the server has run so far (INFO commandstats). */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

async function commandsRunBy(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await commandCalls();
  await work();
  const after = await commandCalls();
  const delta: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const added = count - (before[name] ?? 0);
    // The INFO call that measures is not the store's.
    if (added > 0 && name !== 'info') delta[name] = added;
  }
  return delta;
}

describe('concurrent calls issued in the same tick', () => {
  it('200 concurrent puts reach Redis as one script call and one transaction, each put with its own TTL', async () => {
    const store = open();
    // The first use of the script loads it (EVAL); measure once it is loaded.
    await store.put('warm:1', 1);
    await store.putMany([['warm:2', 2]]);
    const ran = await commandsRunBy(() =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.put(`page:${i}`, { i }, { ttl: i % 2 === 0 ? 100 : null }),
        ),
      ),
    );
    // The first put goes out at once as the put script (its SET and ZADD are counted too). The
    // other 199 are folded into one MULTI/EXEC: a SET PX for each put with a TTL, an MSET for
    // each run of puts without one, then one ZADD of all 199 keys.
    expect(ran).toEqual({ evalsha: 1, multi: 1, exec: 1, set: 100, mset: 100, zadd: 2 });
    expect(await store.get('page:7')).toEqual({ i: 7 });
    expect(await store.ttl('page:7')).toBeNull();
    expect(await store.ttl('page:8')).toBeGreaterThan(99);
    expect((await store.rangeGet('page:')).length).toBe(200);
    expect(await store.exists('warm:2')).toBe(true);
  });

  it('200 concurrent gets reach Redis as one GET and one MGET of the other 199', async () => {
    const store = open();
    await store.putMany(Array.from({ length: 200 }, (_, i) => [`k:${i}`, i] as [string, number]));
    const ran = await commandsRunBy(async () => {
      const values = await Promise.all(Array.from({ length: 200 }, (_, i) => store.get(`k:${i}`)));
      expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i));
    });
    expect(ran).toEqual({ get: 1, mget: 1 });
  });

  it('a lone get or put is sent as it is, a single command', async () => {
    const store = open();
    await store.put('warm', 1);
    expect(await commandsRunBy(() => store.put('one', 1))).toEqual({ evalsha: 1, set: 1, zadd: 1 });
    expect(await commandsRunBy(() => store.get('one'))).toEqual({ get: 1 });
  });

  it('a lone put still stores and indexes its key after the server forgot its scripts (SCRIPT FLUSH)', async () => {
    const store = open();
    await store.put('before', 1);
    await admin.script('FLUSH');
    await store.put('after', 2);
    expect(await store.get('after')).toBe(2);
    expect(await store.rangeGet('')).toEqual([
      ['after', 2],
      ['before', 1],
    ]);
  });

  it('keeps the order in which calls were made, whatever the command', async () => {
    const store = open();
    const put = store.put('k', 'first');
    const read = store.get('k');
    const removed = store.delete('k');
    const afterDelete = store.get('k');
    const again = store.put('k', 'second');
    const incremented = store.increment('n');
    const rewritten = store.put('n', 10);
    const last = store.get('n');
    await put;
    expect(await read).toBe('first');
    expect(await removed).toBe(true);
    expect(await afterDelete).toBeUndefined();
    await again;
    expect(await incremented).toBe(1);
    await rewritten;
    expect(await last).toBe(10);
    expect(await store.get('k')).toBe('second');
  });

  it('a failed batch rejects every call in it, and the store works afterwards', async () => {
    const store = open();
    await store.ping();
    // Make the next writes fail: out of memory, the server refuses the script and the transaction.
    await admin.config('SET', 'maxmemory', '1');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store.put(`oom:${i}`, 'x'.repeat(100))),
      );
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      // Each says why: Redis' refusal, not the transaction's EXECABORT.
      for (const result of results) {
        expect(String((result as PromiseRejectedResult).reason)).toMatch(/OOM command not allowed/);
      }
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await store.put('after', 1);
    expect(await store.get('after')).toBe(1);
  });
});

describe('on a cluster', () => {
  let cluster: SharedCluster;
  beforeAll(() => {
    cluster = sharedCluster();
  });

  it('folds concurrent calls per shard and every value reads back', async () => {
    const store = new RedisStore({
      cluster: { nodes: [{ host: LOOPBACK, port: cluster.nodes[0]?.port }] },
      keyPrefix: uniquePrefix('coalescing-cluster'),
      timeout: 5,
    });
    stores.push(store);
    await store.ping();
    const keys = Array.from({ length: 500 }, (_, i) => `c:${i}`);
    await Promise.all(keys.map((key, i) => store.put(key, i, { ttl: 60 })));
    expect(await Promise.all(keys.map((key) => store.get(key)))).toEqual(keys.map((_, i) => i));
    expect((await store.rangeGet('c:')).length).toBe(500);
  });
});
