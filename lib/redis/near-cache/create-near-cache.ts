import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RawValue } from '../../core/types.js';
import type { KvStore } from '../../core/kv-store.js';
import { clusterTags, keySlot } from '../index/key-layout.js';
import { createSubscriberConnection } from '../connection/redis-connection.js';
import type { ResolvedRedisConfig } from '../options/resolve-redis-options.js';
import { ClusterTracking } from './cluster-tracking.js';
import { NearCache } from './near-cache.js';
import type { ResolvedNearCacheConfig } from './near-cache-options.js';
import { TrackingLink } from './tracking-link.js';

/**
 * Builds the near cache of a store and the connections that keep it coherent: on a standalone
 * server or Sentinel primary one subscriber beside the store's client, on a cluster one per
 * master beside the cluster client's connection to it. `keep` says what to hold for a value read
 * (undefined: nothing); `store` is named in the near cache's invalidated-channel messages.
 */
export function createNearCache(
  store: KvStore,
  config: ResolvedRedisConfig,
  near: ResolvedNearCacheConfig,
  client: Redis | Cluster,
  keep: (key: string, raw: RawValue) => RawValue | undefined,
): NearCache {
  const cluster = config.topology === 'cluster';
  const cache = new NearCache(store, near, userKeyOfName(config.keyPrefix, cluster), keep);
  // Without a key prefix, broadcast covers every key of the database.
  const prefixArgs = config.keyPrefix === '' ? [] : ['PREFIX', config.keyPrefix];
  const modeArgs = near.mode === 'broadcast' ? ['BCAST', ...prefixArgs] : [];
  // Unique, so the data connection can check that its redirect target is this store's subscriber.
  const name = `nestjs-kv-store:invalidations:${randomBytes(6).toString('hex')}`;
  if (cluster) {
    cache.attach(
      new ClusterTracking(
        client as Cluster,
        (node, nodeName) => createSubscriberConnection(config, nodeName, node),
        name,
        modeArgs,
        cache.listener,
        [...new Set(clusterTags().map(keySlot))],
      ),
    );
  } else {
    const link = new TrackingLink(
      client as Redis,
      createSubscriberConnection(config, name),
      name,
      modeArgs,
      cache.listener,
    );
    cache.attach({
      get isUp() {
        return link.isUp;
      },
      close: () => link.close(),
    });
  }
  return cache;
}

/**
 * Maps a Redis key name to the store's user key: `keyPrefix + key`, or on a cluster
 * `keyPrefix + "{tag}" + key`; undefined for names outside the store (such as its range index,
 * whose name is not valid UTF-8 and never decodes to a cached key).
 */
export function userKeyOfName(
  keyPrefix: string,
  cluster: boolean,
): (name: string) => string | undefined {
  return (name) => {
    if (!name.startsWith(keyPrefix)) return undefined;
    if (!cluster) return name.slice(keyPrefix.length);
    if (name.charCodeAt(keyPrefix.length) !== 0x7b /* { */) return undefined;
    const close = name.indexOf('}', keyPrefix.length);
    return close < 0 ? undefined : name.slice(close + 1);
  };
}
