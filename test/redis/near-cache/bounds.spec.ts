import { RedisStore, type RedisStoreOptions } from '../../../lib/index.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  type RedisProcess,
} from '../../support/redis-harness.js';
import {
  nearStats,
  STALENESS_WINDOW_MS,
  waitUntilTracking,
  yieldToIo,
} from './support/near-cache-helpers.js';

/** The near cache's own bounds: how long a copy is served, and how many bytes are held. */
let server: RedisProcess;
const stores: RedisStore[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await server?.stop();
});

async function open(
  nearCache: NonNullable<RedisStoreOptions['nearCache']>,
): Promise<{ store: RedisStore; prefix: string }> {
  const prefix = uniquePrefix('ncbound');
  const store = new RedisStore({ host: LOOPBACK, port: server.port, keyPrefix: prefix, nearCache });
  stores.push(store);
  await store.connect();
  await waitUntilTracking(store);
  return { store, prefix };
}

describe('Redis near cache: maxAge', () => {
  it('stops serving a value replaced by SWAPDB (which Redis does not report) after maxAge', async () => {
    const { store, prefix } = await open({ maxEntries: 100, maxAge: 0.5 });
    // The other database holds the new value, written before the store reads the key: Redis
    // tracks key names across databases, so a write there afterwards would be reported.
    await redisCli(server.port, '-n', '1', 'set', `${prefix}swapped`, JSON.stringify('new'));
    await store.put('swapped', 'old');
    expect(await store.get('swapped')).toBe('old');
    expect(await store.get('swapped')).toBe('old');
    const { hits } = await nearStats(store);
    expect(hits).toBeGreaterThan(0);
    const swappedAt = performance.now();
    await redisCli(server.port, 'swapdb', '0', '1');
    const seen: Array<{ at: number; value: unknown }> = [];
    for (;;) {
      const value = await store.get('swapped');
      const at = performance.now() - swappedAt;
      seen.push({ at, value });
      if (value === 'new') break;
      if (at > 5000) break;
      await yieldToIo();
    }
    const lastOld = seen.filter((read) => read.value === 'old').at(-1)?.at ?? 0;
    // The copy was read before the swap, so it is served at most maxAge after it.
    expect(lastOld).toBeGreaterThan(0);
    expect(lastOld).toBeLessThan(500 + STALENESS_WINDOW_MS);
    expect(seen.at(-1)?.value).toBe('new');
    await redisCli(server.port, 'swapdb', '0', '1');
  });

  it('keeps answering hits for a key read more often than maxAge', async () => {
    const { store } = await open({ maxEntries: 100, maxAge: 0.5 });
    await store.put('hot', 'v');
    const before = await nearStats(store);
    const until = performance.now() + 1600;
    let reads = 0;
    while (performance.now() < until) {
      expect(await store.get('hot')).toBe('v');
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const after = await nearStats(store);
    // About one read per 0.5 s goes to Redis: 4 of the ~1.6 s of reads, whatever their number.
    expect(after.misses - before.misses).toBeLessThanOrEqual(6);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(reads - 6);
  });
});

describe('Redis near cache: maxBytes', () => {
  it('holds no more bytes than maxBytes, dropping the least recently read values first', async () => {
    const { store } = await open({ maxEntries: 1000, maxBytes: 3_500_000 });
    const megabyte = 'x'.repeat(1_000_000);
    const keys = Array.from({ length: 6 }, (_, i) => `big${i}`);
    for (const key of keys) await store.put(key, megabyte);
    for (const key of keys) expect(await store.get(key)).toBe(megabyte);
    const held = await nearStats(store);
    expect(held.maxBytes).toBe(3_500_000);
    expect(held.bytes).toBeLessThanOrEqual(3_500_000);
    // Each value is 1,000,002 bytes of JSON in Redis: three fit.
    expect(held.entries).toBe(3);
    expect(held.bytes).toBe(3 * (1_000_002 + 'bigN'.length));
    // The three most recently read are the ones held.
    for (const key of keys.slice(3)) await store.get(key);
    expect((await nearStats(store)).hits - held.hits).toBe(3);
    await store.get('big0');
    expect((await nearStats(store)).hits - held.hits).toBe(3);
  });

  it('does not hold a value larger than maxBytes', async () => {
    const { store } = await open({ maxEntries: 1000, maxBytes: 1_000_000 });
    const big = 'y'.repeat(2_000_000);
    await store.put('huge', big);
    expect(await store.get('huge')).toBe(big);
    expect(await store.get('huge')).toBe(big);
    const stats = await nearStats(store);
    expect(stats.hits).toBe(0);
    expect(stats.entries).toBe(0);
    expect(stats.bytes).toBe(0);
  });
});
