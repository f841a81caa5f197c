import { Redis } from 'ioredis';
import { RedisStore, type RedisStoreOptions } from '../../../lib/index.js';
import { FaultProxy, type FaultAction } from '../../support/fault-proxy.js';
import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../../support/redis-harness.js';
import {
  nearStats,
  STALENESS_WINDOW_MS,
  waitUntilTracking,
  yieldToIo,
} from './support/near-cache-helpers.js';

/**
 * The near cache's invalidation connection failing at the worst moments: while it subscribes
 * again after a reconnection, and when its SUBSCRIBE is answered after the store gave up on it.
 * Every store connection goes through the fault proxy; a second, plain client writes straight
 * to the server, as another instance would.
 */
let server: RedisProcess;
let proxy: FaultProxy;
let writer: Redis;
const stores: RedisStore[] = [];

const isSubscriber = (c: { name?: string }): boolean =>
  c.name?.startsWith('nestjs-kv-store:invalidations') === true;

beforeAll(async () => {
  server = await startRedis();
  writer = new Redis({ host: LOOPBACK, port: server.port, maxRetriesPerRequest: 0 });
});

beforeEach(async () => {
  proxy = await FaultProxy.start(server.port);
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await proxy.close();
});

afterAll(async () => {
  writer?.disconnect();
  await server?.stop();
});

async function open(
  options: Partial<RedisStoreOptions> = {},
): Promise<{ store: RedisStore; prefix: string }> {
  const prefix = uniquePrefix('nclink');
  const store = new RedisStore({
    host: LOOPBACK,
    port: proxy.port,
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

/** The last value written, across trials: values only grow, so an old one is always smaller. */
let n = 0;

/** Each key's acknowledged writes: when the writer had the reply, and the value written. */
type History = Map<string, Array<{ at: number; n: number }>>;

/** The newest value of `key` acknowledged at or before `instant` (0 when none). */
function acknowledgedBy(history: History, key: string, instant: number): number {
  let newest = 0;
  for (const write of history.get(key) ?? []) if (write.at <= instant) newest = write.n;
  return newest;
}

/**
 * One trial: 20 keys written continuously by the plain client and read continuously through the
 * store, while the store's subscriber is reset and its next SUBSCRIBE meets `fault`. Returns the
 * reads that served a value older than what was acknowledged a staleness window before the read
 * was sent, after the link was up again, and the keys still wrong once writes stopped.
 */
async function trial(store: RedisStore, prefix: string, fault: FaultAction): Promise<string[]> {
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const history: History = new Map(keys.map((key) => [key, []]));
  for (const key of keys) {
    await writer.set(prefix + key, JSON.stringify(++n));
    history.get(key)?.push({ at: performance.now(), n });
    await store.get(key);
  }
  let writing = true;
  const writes = (async () => {
    while (writing) {
      for (const key of keys) {
        const value = ++n;
        await writer.set(prefix + key, JSON.stringify(value));
        history.get(key)?.push({ at: performance.now(), n: value });
      }
    }
  })();
  let checkFrom = Number.POSITIVE_INFINITY;
  const problems: string[] = [];
  let reading = true;
  const reads = (async () => {
    while (reading) {
      for (const key of keys) {
        const sentAt = performance.now();
        const seen = Number(await store.get(key));
        const due = acknowledgedBy(history, key, sentAt - STALENESS_WINDOW_MS);
        if (sentAt >= checkFrom && seen < due) {
          problems.push(
            `${key}: served ${seen} while ${due} was acknowledged over ${STALENESS_WINDOW_MS} ms before`,
          );
        }
      }
      await yieldToIo();
    }
  })();

  const rule = proxy.inject({ command: 'SUBSCRIBE', connection: isSubscriber, action: fault });
  for (const connection of proxy.connections.filter(isSubscriber)) connection.reset();
  await rule.fired;
  await waitUntilTracking(store);
  checkFrom = performance.now();
  // Long enough for anything an earlier attempt left armed to act on the new link: its retry
  // timers are 200 ms, and every one of them was armed before this link came up.
  const until = performance.now() + 400;
  while (performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  writing = false;
  await writes;
  // Redis holds its final values now: every key must serve its own within the staleness window.
  const stoppedAt = performance.now();
  const fresh = async (): Promise<boolean> => {
    for (const key of keys) {
      if ((await store.get(key)) !== JSON.parse(String(await writer.get(prefix + key))))
        return false;
    }
    return true;
  };
  while (performance.now() - stoppedAt < STALENESS_WINDOW_MS && !(await fresh())) await yieldToIo();
  reading = false;
  await reads;

  for (const key of keys) {
    const [seen, stored] = [
      await store.get(key),
      JSON.parse(String(await writer.get(prefix + key))),
    ];
    if (seen !== stored)
      problems.push(`${key}: served ${String(seen)} after writes stopped; Redis holds ${stored}`);
  }
  return problems;
}

describe('Redis near cache: the invalidation link fails while it subscribes', () => {
  it.each(['default', 'broadcast'] as const)(
    'serves what Redis holds after the subscriber is reset again at its SUBSCRIBE (%s mode)',
    async (mode) => {
      const { store, prefix } = await open({ nearCache: { maxEntries: 1000, mode } });
      const failures: string[] = [];
      // Half reset before the SUBSCRIBE reaches Redis, half after. With the retry timer of a
      // failed attempt left uncancelled, every default-mode trial served stale values (20 of 20).
      const trials = 4;
      for (let i = 0; i < trials; i++) {
        const problems = await trial(store, prefix, i % 2 === 0 ? 'reset-before' : 'reset-after');
        if (problems.length > 0)
          failures.push(
            `trial ${i}: ${problems.slice(0, 3).join('; ')} (${problems.length} in all)`,
          );
      }
      expect(failures).toEqual([]);
      expect((await nearStats(store)).active).toBe(true);
    },
    120_000,
  );

  it('comes back on its own after a SUBSCRIBE reply arrives later than the timeout', async () => {
    const { store } = await open({ timeout: 1 });
    await store.put('hot', 'v1');
    const rule = proxy.inject({
      command: 'SUBSCRIBE',
      connection: isSubscriber,
      action: { holdRepliesMs: 1500 },
    });
    for (const connection of proxy.connections.filter(isSubscriber)) connection.reset();
    await rule.fired;
    const faultedAt = performance.now();
    await waitUntil(
      async () => {
        const before = (await nearStats(store)).hits;
        await store.get('hot');
        await store.get('hot');
        const stats = await nearStats(store);
        return stats.active && stats.hits > before;
      },
      6000,
      'the near cache to be active and answering hits again',
    );
    const back = performance.now() - faultedAt;
    // Held 1.5 s, timed out at 1 s: the link should be up again within a few seconds.
    expect(back).toBeLessThan(6000);
    expect(await store.get('hot')).toBe('v1');
  }, 20_000);
});
