import { RedisStore, type RedisStoreOptions } from '../../../lib/index.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../../support/redis-harness.js';
import { sleep } from '../../support/sleep.js';
import {
  startDelayingProxy,
  isInvalidationMessage,
  type DelayingProxy,
} from './support/delaying-proxy.js';
import {
  expectFreshWithinWindow,
  nearStats,
  waitUntilTracking,
  yieldToIo,
} from './support/near-cache-helpers.js';

let server: RedisProcess;
let proxy: DelayingProxy;
const stores: RedisStore[] = [];

beforeAll(async () => {
  // DEBUG SET-ACTIVE-EXPIRE lets a test turn off Redis' own expiry cycle.
  server = await startRedis({ args: ['--enable-debug-command', 'local'] });
  proxy = await startDelayingProxy(server.port);
});

afterEach(async () => {
  proxy.release();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A store with the near cache; `viaProxy` connects it through the delaying proxy. */
async function open(
  options: RedisStoreOptions = {},
  viaProxy = false,
): Promise<{ store: RedisStore; prefix: string }> {
  const prefix = uniquePrefix('near');
  const store = new RedisStore({
    host: LOOPBACK,
    port: viaProxy ? proxy.port : server.port,
    keyPrefix: prefix,
    timeout: 5,
    nearCache: { maxEntries: 1000 },
    ...options,
  });
  stores.push(store);
  await store.connect();
  await waitUntilTracking(store);
  return { store, prefix };
}

/** The value of a raw Redis key as redis-cli prints it, for JSON-serialized values. */
function cliValue(value: unknown): string {
  return JSON.stringify(value);
}

/** The id of the one client whose CLIENT LIST line matches `pattern`. */
async function clientId(pattern: RegExp): Promise<string> {
  const lines = (await redisCli(server.port, 'client', 'list'))
    .split('\n')
    .filter((line) => pattern.test(line));
  if (lines.length !== 1) throw new Error(`expected one client matching ${pattern}: ${lines}`);
  return /^id=(\d+)/.exec(lines[0] as string)?.[1] as string;
}

describe('Redis near cache: reads', () => {
  it('answers repeated gets in process and hands every caller its own copy', async () => {
    const { store } = await open();
    await store.put('user', { name: 'Ada', tags: ['a'] });
    const first = await store.get<{ name: string; tags: string[] }>('user');
    first?.tags.push('mutated');
    const before = await nearStats(store);
    const second = await store.get<{ name: string; tags: string[] }>('user');
    const after = await nearStats(store);
    expect(second).toEqual({ name: 'Ada', tags: ['a'] });
    expect(after.hits - before.hits).toBe(1);
    expect(after.entries).toBe(1);
  });

  it('is off unless the nearCache option is given', async () => {
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      keyPrefix: uniquePrefix('off'),
    });
    stores.push(store);
    await store.put('k', 1);
    await store.get('k');
    expect((await store.getStats()).nearCache).toBeUndefined();
  });

  it('keeps at most maxEntries values, dropping the least recently read', async () => {
    const { store } = await open({ nearCache: { maxEntries: 3 } });
    await store.putMany([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
    for (const key of ['a', 'b', 'c']) await store.get(key);
    await store.get('a'); // a is now the most recently read
    await store.get('d'); // evicts b
    const before = await nearStats(store);
    expect(before.entries).toBe(3);
    await store.get('a');
    await store.get('b');
    const after = await nearStats(store);
    expect(after.hits - before.hits).toBe(1);
    expect(after.misses - before.misses).toBe(1);
  });

  it('still folds the gets of one tick into one MGET, and then serves them in process', async () => {
    const { store } = await open();
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await store.putMany(keys.map((key, i) => [key, i]));
    const before = await commandCalls();
    expect(await Promise.all(keys.map((key) => store.get(key)))).toEqual(keys.map((_, i) => i));
    const cold = delta(before, await commandCalls());
    // The first get of the tick goes out alone; the other 19 share one MGET.
    expect(cold).toMatchObject({ get: 1, mget: 1 });
    const warmBefore = await commandCalls();
    expect(await Promise.all(keys.map((key) => store.get(key)))).toEqual(keys.map((_, i) => i));
    expect(delta(warmBefore, await commandCalls())).toEqual({});
  });

  it('serves getMany from the near cache for the keys it holds', async () => {
    const { store } = await open();
    await store.putMany([
      ['x', 1],
      ['y', 2],
    ]);
    await store.get('x');
    const before = await nearStats(store);
    expect(await store.getMany(['x', 'y', 'z'])).toEqual([1, 2, undefined]);
    const after = await nearStats(store);
    expect(after.hits - before.hits).toBe(1);
    expect(await store.getMany(['x', 'y'])).toEqual([1, 2]);
    expect((await nearStats(store)).hits - after.hits).toBe(2);
  });
});

describe('Redis near cache: values it must not hold', () => {
  it('a key another client filled with a hash fails get and getMany as without the near cache', async () => {
    const { store, prefix } = await open();
    await store.put('good', 1);
    await redisCli(server.port, 'hset', `${prefix}alien`, 'field', 'value');
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(store.get('alien')).rejects.toThrow(/holds a Redis hash/);
      await expect(store.getMany(['good', 'alien'])).rejects.toThrow(/holds a Redis hash/);
    }
    expect((await nearStats(store)).entries).toBe(1);
  });
});

describe('Redis near cache: coherence with other clients', () => {
  it.each(['default', 'broadcast'] as const)(
    'a write by redis-cli replaces what the near cache serves (%s tracking)',
    async (mode) => {
      const { store, prefix } = await open({ nearCache: { maxEntries: 100, mode } });
      await store.put('config', { v: 0 });
      const delays: number[] = [];
      for (let round = 1; round <= 5; round++) {
        await store.get('config');
        expect(await store.get('config')).toEqual({ v: round - 1 });
        await redisCli(server.port, 'set', `${prefix}config`, cliValue({ v: round }));
        delays.push(
          await expectFreshWithinWindow(store, 'config', { v: round }, performance.now()),
        );
      }
      const stats = await nearStats(store);
      expect(stats.invalidations).toBeGreaterThanOrEqual(5);
      expect(stats.hits).toBeGreaterThanOrEqual(5);
    },
  );

  it('FLUSHALL by another client empties the near cache', async () => {
    const { store } = await open();
    await store.put('k', 'v');
    await store.get('k');
    const before = await nearStats(store);
    await redisCli(server.port, 'flushall');
    await waitUntil(
      async () => (await nearStats(store)).flushes > before.flushes,
      5000,
      'the flush message',
    );
    expect(await store.get('k')).toBeUndefined();
  });
});

describe('Redis near cache: a read in flight when its key changes', () => {
  it('does not keep a value that was invalidated while its reply was on the way', async () => {
    const { store, prefix } = await open({}, true);
    await store.put('race', 'stale-marker-1');
    // Hold the GET's reply (it carries the marker) but let the invalidation through.
    proxy.hold((chunk) => chunk.includes('stale-marker-1'), 1500);
    const inFlight = store.get('race');
    // The reply is on its way back: the change below reaches Redis after the read did.
    await proxy.held();
    await redisCli(server.port, 'set', `${prefix}race`, cliValue('fresh'));
    await waitUntil(
      async () => (await redisCli(server.port, 'get', `${prefix}race`)) === '"fresh"\n',
      1000,
      'the write',
    );
    // Read before the write reached Redis: the old value is the right answer for this call...
    expect(await inFlight).toBe('stale-marker-1');
    proxy.release();
    // ...but it must not stay in the near cache.
    await yieldToIo();
    expect(await store.get('race')).toBe('fresh');
  });

  it('does not keep a value read before a FLUSHALL that arrived while its reply was on the way', async () => {
    const { store, prefix } = await open({}, true);
    await store.put('race', 'stale-marker-2');
    proxy.hold((chunk) => chunk.includes('stale-marker-2'), 1500);
    const inFlight = store.get('race');
    // The reply is on its way back: the change below reaches Redis after the read did.
    await proxy.held();
    await redisCli(server.port, 'flushall');
    // After the flush Redis tracks nothing: this write sends no invalidation at all.
    await redisCli(server.port, 'set', `${prefix}race`, cliValue('fresh'));
    expect(await inFlight).toBe('stale-marker-2');
    proxy.release();
    await yieldToIo();
    expect(await store.get('race')).toBe('fresh');
  });
});

describe('Redis near cache: own writes', () => {
  // Invalidation messages are held back, so only the store's own bookkeeping can drop entries.
  async function openWithSlowInvalidations(): Promise<{ store: RedisStore; prefix: string }> {
    const opened = await open({}, true);
    proxy.hold(isInvalidationMessage, 2000);
    return opened;
  }

  async function cache(store: RedisStore, ...keys: string[]): Promise<void> {
    for (const key of keys) await store.get(key);
    const before = await nearStats(store);
    for (const key of keys) await store.get(key);
    expect((await nearStats(store)).hits - before.hits).toBe(keys.length);
  }

  it('put, delete and increment are read back at once', async () => {
    const { store } = await openWithSlowInvalidations();
    await store.put('k', 1);
    await cache(store, 'k');
    await store.put('k', 2);
    expect(await store.get('k')).toBe(2);
    expect(await store.increment('k', 5)).toBe(7);
    expect(await store.get('k')).toBe(7);
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });

  it('putIfAbsent stores over a key another client deleted, and is read back at once', async () => {
    const { store, prefix } = await openWithSlowInvalidations();
    await store.put('k', 'old');
    await cache(store, 'k');
    await redisCli(server.port, 'del', `${prefix}k`);
    expect(await store.putIfAbsent('k', 'new')).toBe(true);
    expect(await store.get('k')).toBe('new');
  });

  it('putMany, deleteMany and clear are read back at once', async () => {
    const { store } = await openWithSlowInvalidations();
    await store.putMany([
      ['a', 1],
      ['b', 1],
    ]);
    await cache(store, 'a', 'b');
    await store.putMany([
      ['a', 2],
      ['b', 2],
    ]);
    expect(await store.getMany(['a', 'b'])).toEqual([2, 2]);
    await cache(store, 'a', 'b');
    await store.deleteMany(['a']);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBe(2);
    await cache(store, 'b');
    await store.clear();
    expect(await store.get('b')).toBeUndefined();
  });
});

describe('Redis near cache: TTLs', () => {
  afterEach(async () => {
    await redisCli(server.port, 'debug', 'set-active-expire', '1');
  });

  it('never serves a value after its TTL in Redis ran out, even when Redis has not deleted it yet', async () => {
    // Without the active expiry cycle Redis deletes (and reports) an expired key only when asked.
    await redisCli(server.port, 'debug', 'set-active-expire', '0');
    const { store } = await open();
    await store.put('session', 'token', { ttl: 0.4 });
    // Captured once the write completed: the key is expired in Redis by then.
    const expiredBy = Date.now() + 400;
    await store.get('session');
    await sleep(expiredBy - Date.now() + 30);
    expect(await store.get('session')).toBeUndefined();
  });

  it('serves a value that has a TTL from the near cache while the TTL runs', async () => {
    const { store } = await open();
    await store.put('session', 'token', { ttl: 60 });
    await store.get('session');
    const before = await nearStats(store);
    expect(await store.get('session')).toBe('token');
    expect((await nearStats(store)).hits - before.hits).toBe(1);
  });

  it('a TTL set by another client after the value was cached applies too', async () => {
    const { store, prefix } = await open();
    await store.put('k', 'v');
    await store.get('k');
    await redisCli(server.port, 'pexpire', `${prefix}k`, '400');
    // Captured once the command completed: the key is gone in Redis by then.
    const expiredBy = Date.now() + 400;
    await sleep(expiredBy - Date.now() + 30);
    expect(await store.get('k')).toBeUndefined();
  });
});

describe('Redis near cache: lost connections', () => {
  it('empties and bypasses the near cache when its invalidation connection is killed', async () => {
    const { store, prefix } = await open();
    await store.put('k', 'v1');
    await store.get('k');
    const before = await nearStats(store);
    const id = await clientId(/ name=nestjs-kv-store:invalidations:/);
    await redisCli(server.port, 'client', 'kill', 'id', id);
    // The redirect target is gone: Redis reports this write to no one.
    await redisCli(server.port, 'set', `${prefix}k`, cliValue('v2'));
    expect(await store.get('k')).toBe('v2');
    expect((await nearStats(store)).flushes).toBeGreaterThan(before.flushes);
    // Tracking comes back on a new subscriber and invalidates again.
    await waitUntilTracking(store);
    await store.get('k');
    expect(await store.get('k')).toBe('v2');
    await redisCli(server.port, 'set', `${prefix}k`, cliValue('v3'));
    await expectFreshWithinWindow(store, 'k', 'v3', performance.now());
  });

  it('replaces an invalidation connection that stays open but stops answering, emptying the near cache', async () => {
    const { store, prefix } = await open({ timeout: 1 }, true);
    await store.put('k', 'v1');
    await store.get('k');
    const before = await nearStats(store);
    // A partition without resets: the subscriber's messages and ping answers never arrive.
    proxy.hold((chunk) => isInvalidationMessage(chunk) || chunk.includes('$4\r\npong\r\n'), 60_000);
    await redisCli(server.port, 'set', `${prefix}k`, cliValue('v2'));
    await waitUntil(
      async () => (await nearStats(store)).flushes > before.flushes,
      10_000,
      'the silent connection to be replaced',
    );
    expect(await store.get('k')).toBe('v2');
  });

  it('empties and bypasses the near cache when its data connection is killed', async () => {
    const { store, prefix } = await open();
    await store.put('k', 'v1');
    await store.get('k');
    const id = await clientId(/ name=nestjs-kv-store .*flags=t/);
    await redisCli(server.port, 'client', 'kill', 'id', id);
    // The tracked connection is gone: Redis reports this write to no one.
    await redisCli(server.port, 'set', `${prefix}k`, cliValue('v2'));
    await waitUntil(
      () =>
        store.get('k').then(
          (value) => {
            if (value === 'v1') throw new Error('served the value of the killed connection');
            return value === 'v2';
          },
          () => false,
        ),
      5000,
      'the store to reconnect',
    );
    await waitUntilTracking(store);
    await store.get('k');
    await redisCli(server.port, 'set', `${prefix}k`, cliValue('v3'));
    await expectFreshWithinWindow(store, 'k', 'v3', performance.now());
  });
});

/** Calls of each command the server has run so far (INFO commandstats). */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await redisCli(server.port, 'info', 'commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2]);
  }
  return calls;
}

function delta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const added = count - (before[name] ?? 0);
    // INFO is the measurement's own; PTTL rides with each GET; PING is the subscriber's health check.
    if (added > 0 && !['info', 'pttl', 'ping'].includes(name)) out[name] = added;
  }
  return out;
}
