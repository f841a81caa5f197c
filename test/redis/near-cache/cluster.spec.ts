import { Redis } from 'ioredis';
import { RedisStore } from '../../../lib/index.js';
import { KeyLayout } from '../../../lib/redis/index/key-layout.js';
import {
  LOOPBACK,
  redisCli,
  startCluster,
  uniquePrefix,
  waitUntil,
  type ClusterSetup,
} from '../../support/redis-harness.js';
import {
  expectFreshWithinWindow,
  nearStats,
  waitUntilTracking,
} from './support/near-cache-helpers.js';

let cluster: ClusterSetup;
const admins = new Map<number, Redis>();

beforeAll(async () => {
  cluster = await startCluster();
}, 90_000);

afterAll(async () => {
  await Promise.all([...admins.values()].map((admin) => admin.quit()));
  await cluster?.stop();
});

function admin(port: number): Redis {
  let client = admins.get(port);
  if (!client) admins.set(port, (client = new Redis({ host: LOOPBACK, port })));
  return client;
}

function open(prefix: string): RedisStore {
  return new RedisStore({
    cluster: { nodes: [{ host: LOOPBACK, port: cluster.nodes[0]?.port }] },
    keyPrefix: prefix,
    timeout: 5,
    nearCache: { maxEntries: 1000 },
  });
}

/** Ports of the current masters, and the master port that owns each slot. */
async function masters(): Promise<{ ports: number[]; ownerOf: (slot: number) => number }> {
  const slots = (await admin(cluster.nodes[0]?.port as number).call('CLUSTER', 'SLOTS')) as Array<
    [number, number, [string, number, string]]
  >;
  return {
    ports: [...new Set(slots.map(([, , [, port]]) => port))],
    ownerOf: (slot) => slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1] as number,
  };
}

/** Writes `value` (JSON) under a Redis key name with redis-cli, following cluster redirects. */
async function cliSet(name: string, value: unknown): Promise<void> {
  await redisCli(cluster.nodes[0]?.port as number, '-c', 'set', name, JSON.stringify(value));
}

describe('Redis near cache on a cluster', () => {
  it('tracks on every master and receives invalidations from each of them', async () => {
    const prefix = uniquePrefix('near-cluster');
    const store = open(prefix);
    const layout = KeyLayout.cluster(prefix);
    try {
      await waitUntilTracking(store);
      const keys = Array.from({ length: 48 }, (_, i) => `key${i}`);
      await store.putMany(keys.map((key) => [key, 'v1']));
      for (const key of keys) await store.get(key);
      const warm = await nearStats(store);
      for (const key of keys) expect(await store.get(key)).toBe('v1');
      expect((await nearStats(store)).hits - warm.hits).toBe(keys.length);

      const { ports, ownerOf } = await masters();
      expect(ports).toHaveLength(3);
      for (const port of ports) {
        const clients = await redisCli(port, 'client', 'list');
        expect(clients).toMatch(/ name=nestjs-kv-store:invalidations:\S+ .*sub=1/);
        expect(clients).toMatch(/ name=nestjs-kv-store .*flags=t/);
      }
      const written = new Set<number>();
      for (const key of keys) {
        const name = layout.shardFor(key).dataPrefix + key;
        const slot = Number(await redisCli(ports[0] as number, 'cluster', 'keyslot', name));
        written.add(ownerOf(slot));
        await cliSet(name, 'v2');
        await expectFreshWithinWindow(store, key, 'v2', performance.now());
      }
      // The keys written live on every master.
      expect([...written].sort()).toEqual([...ports].sort());
      expect((await nearStats(store)).invalidations).toBeGreaterThanOrEqual(keys.length);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a slot migration empties the near cache, and tracking follows the key to its new master', async () => {
    const prefix = uniquePrefix('near-migrate');
    const store = open(prefix);
    const layout = KeyLayout.cluster(prefix);
    try {
      await waitUntilTracking(store);
      await store.putMany([
        ['moving', 'v1'],
        ['staying', 'v1'],
      ]);
      const name = layout.shardFor('moving').dataPrefix + 'moving';
      const { ports, ownerOf } = await masters();
      const slot = Number(await redisCli(ports[0] as number, 'cluster', 'keyslot', name));
      const from = ownerOf(slot);
      const to = ports.find((port) => port !== from) as number;
      for (const key of ['moving', 'staying']) await store.get(key);
      const before = await nearStats(store);
      expect(before.entries).toBe(2);

      const source = admin(from);
      const target = admin(to);
      const sourceId = String(await source.call('CLUSTER', 'MYID'));
      const targetId = String(await target.call('CLUSTER', 'MYID'));
      await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      // Key names of the slot include the range index, whose name is not UTF-8: keep Buffers.
      const names = (await source.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as Buffer[];
      await source.callBuffer('MIGRATE', LOOPBACK, to, '', 0, 5000, 'KEYS', ...names);
      for (const port of ports) {
        await admin(port).call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
      }

      // The next read of the moved key meets a MOVED redirect; the client refreshes its slot map.
      await waitUntil(
        async () => {
          expect(await store.get('moving')).toBe('v1');
          return (await nearStats(store)).flushes > before.flushes;
        },
        15_000,
        'the near cache to notice the new slot owner',
      );
      await waitUntilTracking(store);
      await store.get('moving');
      expect(await store.get('moving')).toBe('v1');
      await cliSet(name, 'v2');
      await expectFreshWithinWindow(store, 'moving', 'v2', performance.now());
      expect((await redisCli(to, 'get', name)).trim()).toBe('"v2"');
    } finally {
      await store.close();
    }
  }, 60_000);
});
