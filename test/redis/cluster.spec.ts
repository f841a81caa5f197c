import { Cluster } from 'ioredis';
import { RedisStore, TimeoutError, type RedisStoreOptions } from '../../lib/index.js';
import { runDifferential } from '../conformance/differential.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import {
  LOOPBACK,
  startCluster,
  uniquePrefix,
  type ClusterSetup,
} from '../support/redis-harness.js';
import { clusterStore } from '../support/redis-stores.js';

let cluster: ClusterSetup;

beforeAll(async () => {
  cluster = await startCluster();
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  return clusterStore(cluster, 'cluster', options);
}

runKvStoreConformance('redis cluster (3 masters, 3 replicas)', (options) => open(options));
runDifferential('redis cluster', (options) => open(options));

describe('Redis cluster: layout', () => {
  it('spreads 10k keys over all 3 masters, and range queries merge the shards in order', async () => {
    const prefix = uniquePrefix('spread');
    const store = open({ keyPrefix: prefix });
    const raw = new Cluster([{ host: LOOPBACK, port: cluster.nodes[0]?.port }], {
      lazyConnect: true,
    });
    try {
      await raw.connect();
      const entries: Array<[string, number]> = [];
      for (let i = 0; i < 10_000; i++) entries.push([`item:${String(i).padStart(5, '0')}`, i]);
      await store.putMany(entries);
      const masters = raw.nodes('master');
      expect(masters).toHaveLength(3);
      const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
      for (const count of perMaster) expect(count).toBeGreaterThan(1000);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);

      const stats = await store.getStats();
      expect(stats.topology).toBe('cluster');
      expect(stats.totalKeys).toBe(10_000);
      expect(stats.nodes).toHaveLength(3);
      for (const node of stats.nodes ?? []) expect(node.storeKeys).toBeGreaterThan(1000);
      expect((stats.nodes ?? []).reduce((sum, n) => sum + n.storeKeys, 0)).toBe(10_000);

      const page = await store.rangeGet('item:0', 'item:1', { limit: 5 });
      expect(page.map(([k]) => k)).toEqual([
        'item:00000',
        'item:00001',
        'item:00002',
        'item:00003',
        'item:00004',
      ]);
      expect(await store.rangeGet('item:0999')).toHaveLength(10);
      expect(await store.clear()).toBe(10_000);
    } finally {
      await store.close();
      await raw.quit();
    }
  }, 60_000);

  it('names data keys keyPrefix{tag}k, where the tag is the shard of the key', async () => {
    const prefix = uniquePrefix('names');
    const store = open({ keyPrefix: prefix });
    const raw = new Cluster([{ host: LOOPBACK, port: cluster.nodes[0]?.port }], {
      lazyConnect: true,
    });
    try {
      await raw.connect();
      await store.put('user:1', 'ada');
      const found: string[] = [];
      for (const node of raw.nodes('master')) {
        found.push(...(await node.keys(`${prefix}*user:1`)));
      }
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{[0-9a-z]+\\}user:1$`),
      );
      expect(await raw.get(found[0] as string)).toBe('"ada"');
    } finally {
      await store.clear();
      await store.close();
      await raw.quit();
    }
  });
});

describe('Redis cluster: nodes that stop answering', () => {
  it('a call fails with TimeoutError within timeout, and the same store works once they answer', async () => {
    const store = open({ keyPrefix: uniquePrefix('paused'), timeout: 0.5 });
    try {
      await store.put('k', 1);
      // Every node, for less than the cluster's 5 s node timeout: no failover starts.
      const resumeAll = (): void => {
        for (const node of cluster.nodes) process.kill(node.pid, 'SIGCONT');
      };
      for (const node of cluster.nodes) process.kill(node.pid, 'SIGSTOP');
      // A call that never times out is answered after 3 s instead of hanging the suite.
      const resume = setTimeout(resumeAll, 3000);
      const started = Date.now();
      let failure: unknown;
      try {
        await store.get('k');
      } catch (error) {
        failure = error;
      } finally {
        clearTimeout(resume);
        resumeAll();
      }
      expect(failure).toBeInstanceOf(TimeoutError);
      // 500 ms and scheduling slack for a loaded 2-core machine.
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await store.get('k')).toBe(1);
    } finally {
      await store.close();
    }
  });
});
