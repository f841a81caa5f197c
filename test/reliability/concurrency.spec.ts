import { KvStore, MemoryStore, RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import {
  sharedCluster,
  sharedStandalone,
  type SharedCluster,
  type SharedServer,
} from '../support/shared-redis/shared-servers.js';

// @Cached coalescing 100 concurrent cold calls on a Redis-backed module is covered in
// test/nest/kv-store.redis.spec.ts, and on memory in test/nest/cached.spec.ts.

const INCREMENTS = 1000;
const CLAIMS = 100;

/** Sends `INCREMENTS` increments at once, call i on stores[i % stores.length]; resolves the expected total. */
async function incrementConcurrently(stores: readonly KvStore[], key: string): Promise<number> {
  // Mixed steps, so that a lost or doubled update changes the total.
  const steps = Array.from({ length: INCREMENTS }, (_, i) => (i % 5) + 1);
  const results = await Promise.all(
    steps.map((by, i) => (stores[i % stores.length] as KvStore).increment(key, by)),
  );
  // Steps are positive, so every call sees a distinct running total when none is lost.
  expect(new Set(results).size).toBe(INCREMENTS);
  return steps.reduce((sum, by) => sum + by, 0);
}

/** `CLAIMS` putIfAbsent calls at once on one key; resolves the index of each call that stored. */
async function claimConcurrently(stores: readonly KvStore[], key: string): Promise<number[]> {
  const stored = await Promise.all(
    Array.from({ length: CLAIMS }, (_, i) =>
      (stores[i % stores.length] as KvStore).putIfAbsent(key, { owner: i }),
    ),
  );
  return stored.flatMap((ok, i) => (ok ? [i] : []));
}

function concurrencyTests(label: string, openStores: () => KvStore[]): void {
  describe(label, () => {
    let stores: KvStore[];

    beforeEach(() => {
      stores = openStores();
    });

    afterEach(async () => {
      await (stores[0] as KvStore).clear();
      await Promise.all(stores.map((store) => store.close()));
    });

    it(`${INCREMENTS} concurrent increments give the exact total`, async () => {
      const expected = await incrementConcurrently(stores, 'counter');
      for (const store of stores) expect(await store.get('counter')).toBe(expected);
    });

    it(`${CLAIMS} concurrent putIfAbsent on one key: exactly one returns true, and its value is stored`, async () => {
      const winners = await claimConcurrently(stores, 'claim');
      expect(winners).toHaveLength(1);
      for (const store of stores) {
        expect(await store.get('claim')).toEqual({ owner: winners[0] });
      }
    });
  });
}

concurrencyTests('memory store (one store, every call concurrent)', () => [new MemoryStore()]);

describe('Redis', () => {
  let server: SharedServer;
  let cluster: SharedCluster;

  beforeAll(() => {
    server = sharedStandalone();
    cluster = sharedCluster();
  });

  /** Four stores on one prefix, each with its own connection. */
  function fourStores(options: () => RedisStoreOptions): () => KvStore[] {
    return () => {
      const shared = { ...options(), keyPrefix: uniquePrefix('concurrency'), timeout: 5 };
      return Array.from({ length: 4 }, () => new RedisStore(shared));
    };
  }

  concurrencyTests(
    'standalone, 4 store instances with separate connections',
    fourStores(() => ({ host: LOOPBACK, port: server.port })),
  );

  concurrencyTests(
    'cluster, 4 store instances with separate connections',
    fourStores(() => ({
      cluster: { nodes: cluster.nodes.map((n) => ({ host: LOOPBACK, port: n.port })) },
    })),
  );
});
