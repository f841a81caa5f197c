import type { Cluster, Redis } from 'ioredis';
import type { KvStoreStats } from '../core/types.js';
import { clusterTags, keySlot } from './index/key-layout.js';
import type { NearCacheStats } from './near-cache/near-cache.js';
import type { CircuitBreakerStats } from './connection/circuit-breaker.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { formatAddress, type RedisTopology } from './options/resolve-redis-options.js';

/** Figures of one cluster master, in `getStats().nodes`. */
export interface RedisNodeStats {
  /** `host:port` of the node. */
  address: string;
  /** Version the node runs. */
  redisVersion: string;
  /** Memory the node uses, as Redis formats it (`'1.50M'`). */
  usedMemoryHuman: string;
  /** Memory the node uses, in bytes. */
  usedMemoryBytes: number;
  /** Keys in the node's database, of every application. */
  dbKeys: number;
  /** Keys of this store that the node holds (live now). */
  storeKeys: number;
}

/** Statistics of the Redis store. */
export interface RedisStoreStats extends KvStoreStats {
  backend: 'redis';
  /** `'standalone'`, `'sentinel'` or `'cluster'`. */
  topology: RedisTopology;
  /** The store's key prefix. */
  keyPrefix: string;
  /**
   * Indexed keys under the prefix that hold another Redis type (a list, a hash... written by
   * another client). They are not in `totalKeys`; reading one rejects with a
   * `DeserializationError` naming it; `delete` or `put` on the key clears it.
   */
  foreignKeys: number;
  /** Version of the server (on a cluster, of the first master). */
  redisVersion: string;
  /** Memory used by the server (on a cluster, by all masters together), as Redis formats it. */
  usedMemoryHuman: string;
  /** Memory used in bytes, as for `usedMemoryHuman`. */
  usedMemoryBytes: number;
  /** On a cluster: one entry per master; absent otherwise. */
  nodes?: RedisNodeStats[];
  /** With the `nearCache` option: its hits, misses, invalidations and flushes; absent otherwise. */
  nearCache?: NearCacheStats;
  /**
   * With the `circuitBreaker` option: its state, opens and refused calls; absent otherwise. While
   * it is open `getStats()` is refused: `RedisStore.circuitBreakerStats()` reads the same figures.
   */
  circuit?: CircuitBreakerStats;
}

/** Index members one count script call walks. */
const SCAN_BATCH = 2000;

/**
 * Counts the store's keys shard by shard by walking its index (O(keys), so keep it out of hot
 * paths) and reads server figures; on a cluster, one entry per master.
 */
export async function collectRedisStats(
  context: RedisStoreContext,
  serializer: string,
): Promise<RedisStoreStats> {
  const { layout, topology } = context;
  const guard = <T>(command: Promise<T>): Promise<T> => context.guard(command);
  const counts = await Promise.all(
    layout.shards.map(async ({ indexKey, dataPrefix }) => {
      let cursor = '';
      let live = 0;
      let expiring = 0;
      let foreign = 0;
      do {
        const [next, l, e, f] = await guard(
          context.client().kvCount(indexKey, cursor, SCAN_BATCH, dataPrefix, context.pruneFlag),
        );
        cursor = next;
        live += l;
        expiring += e;
        foreign += f;
      } while (cursor !== '');
      return [live, expiring, foreign] as const;
    }),
  );
  const base = {
    backend: 'redis' as const,
    serializer,
    totalKeys: counts.reduce((sum, [live]) => sum + live, 0),
    expiringKeys: counts.reduce((sum, [, expiring]) => sum + expiring, 0),
    foreignKeys: counts.reduce((sum, [, , foreign]) => sum + foreign, 0),
    topology,
    keyPrefix: context.config.keyPrefix,
  };
  if (topology !== 'cluster') {
    const info = await nodeInfo(context.client() as Redis, guard);
    return { ...base, ...info };
  }
  const cluster = context.client() as Cluster;
  const storeKeysBySlot = new Map<number, number>();
  clusterTags().forEach((tag, shard) => {
    const slot = keySlot(tag);
    storeKeysBySlot.set(slot, (storeKeysBySlot.get(slot) ?? 0) + (counts[shard]?.[0] ?? 0));
  });
  const nodes = await Promise.all(
    cluster.nodes('master').map(async (node): Promise<RedisNodeStats> => {
      const address = formatAddress({
        host: node.options.host ?? '',
        port: node.options.port ?? 0,
      });
      const [info, dbKeys] = await Promise.all([nodeInfo(node, guard), guard(node.dbsize())]);
      let storeKeys = 0;
      for (const [slot, keys] of storeKeysBySlot) {
        const owners = cluster.slots[slot];
        if (owners?.[0] === `${node.options.host}:${node.options.port}`) storeKeys += keys;
      }
      return { address, ...info, dbKeys, storeKeys };
    }),
  );
  nodes.sort((a, b) => a.address.localeCompare(b.address));
  const usedMemoryBytes = nodes.reduce((sum, n) => sum + n.usedMemoryBytes, 0);
  return {
    ...base,
    redisVersion: nodes[0]?.redisVersion ?? 'unknown',
    usedMemoryHuman: bytesToHuman(usedMemoryBytes),
    usedMemoryBytes,
    nodes,
  };
}

async function nodeInfo(
  node: Redis,
  guard: <T>(command: Promise<T>) => Promise<T>,
): Promise<Pick<RedisNodeStats, 'redisVersion' | 'usedMemoryHuman' | 'usedMemoryBytes'>> {
  const [server, memory] = await Promise.all([
    guard(node.info('server')),
    guard(node.info('memory')),
  ]);
  const fields = parseInfo(`${server}\n${memory}`);
  return {
    redisVersion: fields.get('redis_version') ?? 'unknown',
    usedMemoryHuman: fields.get('used_memory_human') ?? 'unknown',
    usedMemoryBytes: Number(fields.get('used_memory') ?? 0),
  };
}

/** Parses `INFO` text into field → value. */
function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Formats bytes the way Redis' `used_memory_human` does (`'1.50M'`). */
export function bytesToHuman(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit]}`;
}
