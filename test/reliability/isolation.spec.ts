import { Cluster, Redis } from 'ioredis';
import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { LOOPBACK } from '../support/redis-harness.js';
import {
  sharedCluster,
  sharedStandalone,
  type SharedCluster,
  type SharedServer,
} from '../support/shared-redis/shared-servers.js';

/**
 * Prefixes chosen to trip naive implementations: one is the start of another (`app:` and
 * `app:x:`), glob characters that a SCAN MATCH would interpret (`a*[?]:` matches `azz?:...` as a
 * pattern), and the empty prefix. Keys never make two stores share a Redis key (with `app:` and
 * `app:x:` on one server, key `x:k` of the first would be key `k` of the second: see docs/when-things-fail.md).
 */
const STORES: ReadonlyArray<{ prefix: string; keys: string[] }> = [
  { prefix: 'app:', keys: ['a', 'k1', 'k2', 'x', 'x:', 'y:z', 'zz'] },
  { prefix: 'app:x:', keys: ['a', 'k1', 'k3', 'x'] },
  { prefix: 'a*[?]:', keys: ['*', '?', '[a]', 'k1', 'k\\*'] },
  { prefix: 'azz?:', keys: ['k1', 'match-me'] },
  { prefix: '', keys: ['root1', 'root2', 'root3'] },
];

/** A key another program wrote under each prefix, not through the store: stores must leave it alone. */
const FOREIGN = 'foreign-not-indexed';

function isolationTests(
  label: string,
  connect: () => RedisStoreOptions,
  rawClient: () => Redis | Cluster,
): void {
  describe(label, () => {
    let stores: RedisStore[];
    let raw: Redis | Cluster;

    beforeEach(async () => {
      raw = rawClient();
      stores = STORES.map(
        ({ prefix }) => new RedisStore({ ...connect(), keyPrefix: prefix, timeout: 2 }),
      );
      await Promise.all(
        STORES.map(({ keys }, s) =>
          (stores[s] as RedisStore).putMany(keys.map((key) => [key, `${s}:${key}`] as const)),
        ),
      );
      for (const { prefix } of STORES) await raw.set(`${prefix}${FOREIGN}`, 'theirs');
    });

    afterEach(async () => {
      await Promise.all(stores.map((store) => store.clear().finally(() => store.close())));
      for (const { prefix } of STORES) await raw.del(`${prefix}${FOREIGN}`);
      raw.disconnect();
    });

    /** Every store sees exactly its own keys through rangeGet, iterate and getStats. */
    async function expectOwnKeys(cleared: ReadonlySet<number>): Promise<void> {
      for (const [s, { keys }] of STORES.entries()) {
        const store = stores[s] as RedisStore;
        const own = cleared.has(s) ? [] : [...keys].sort();
        const expected = own.map((key) => [key, `${s}:${key}`]);
        expect({ store: s, rows: await store.rangeGet('') }).toEqual({ store: s, rows: expected });
        const iterated: Array<[string, unknown]> = [];
        for await (const entry of store.iterate('', undefined, { batchSize: 2 }))
          iterated.push(entry);
        expect({ store: s, rows: iterated }).toEqual({ store: s, rows: expected });
        const stats = await store.getStats();
        expect({ store: s, keys: stats.totalKeys }).toEqual({ store: s, keys: own.length });
        if (stats.nodes) {
          // On a cluster, the per-master counts add up to the store's keys, not the node's.
          const perNode = stats.nodes.reduce((sum, node) => sum + node.storeKeys, 0);
          expect({ store: s, keys: perNode }).toEqual({ store: s, keys: own.length });
        }
        // Prefix queries that look like another store's prefix find nothing of that store.
        expect(await store.rangeGet('x:')).toEqual(
          expected.filter(([key]) => String(key).startsWith('x:')),
        );
      }
    }

    it('no store sees or counts another store’s keys (rangeGet, iterate, getStats)', async () => {
      await expectOwnKeys(new Set());
    });

    it('clear() of each store in turn removes its own keys only, and never keys it did not write', async () => {
      const cleared = new Set<number>();
      for (const [s, { keys }] of STORES.entries()) {
        expect(await (stores[s] as RedisStore).clear()).toBe(keys.length);
        cleared.add(s);
        await expectOwnKeys(cleared);
        for (const { prefix } of STORES)
          expect(await raw.get(`${prefix}${FOREIGN}`)).toBe('theirs');
      }
    });
  });
}

describe('isolation of stores with different prefixes on one Redis', () => {
  // The shared servers hold other specs' keys too, which no store here may see or remove.
  let server: SharedServer;
  let cluster: SharedCluster;

  beforeAll(() => {
    server = sharedStandalone();
    cluster = sharedCluster();
  });

  isolationTests(
    'standalone',
    () => ({ host: LOOPBACK, port: server.port }),
    () => new Redis({ host: LOOPBACK, port: server.port }),
  );

  isolationTests(
    'cluster',
    () => ({ cluster: { nodes: cluster.nodes.map((n) => ({ host: LOOPBACK, port: n.port })) } }),
    () => new Cluster(cluster.nodes.map((n) => ({ host: LOOPBACK, port: n.port }))),
  );
});
