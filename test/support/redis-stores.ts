import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { LOOPBACK, uniquePrefix, type RedisProcess, type SentinelSetup } from './redis-harness.js';

/**
 * One store factory per topology for the Redis specs: each store gets its own key prefix (from
 * `label`) and a 5 s timeout, and `options` override either. Callers close what they open.
 */
const TEST_TIMEOUT_SECONDS = 5;

/** A store on a standalone server of the harness (also TLS and ACL, through `options`). */
export function standaloneStore(
  server: Pick<RedisProcess, 'port'>,
  label: string,
  options: RedisStoreOptions = {},
): RedisStore {
  return new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix(label),
    timeout: TEST_TIMEOUT_SECONDS,
    ...options,
  });
}

/** A store on the harness's cluster, seeded with two of its nodes (it discovers the rest). */
export function clusterStore(
  cluster: { readonly nodes: readonly Pick<RedisProcess, 'port'>[] },
  label: string,
  options: RedisStoreOptions = {},
): RedisStore {
  return new RedisStore({
    cluster: { nodes: cluster.nodes.slice(0, 2).map((n) => ({ host: LOOPBACK, port: n.port })) },
    keyPrefix: uniquePrefix(label),
    timeout: TEST_TIMEOUT_SECONDS,
    ...options,
  });
}

/** A store that finds the primary through the harness's Sentinel. */
export function sentinelStore(
  setup: SentinelSetup,
  label: string,
  options: RedisStoreOptions = {},
): RedisStore {
  return new RedisStore({
    sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
    sentinelName: setup.name,
    keyPrefix: uniquePrefix(label),
    timeout: TEST_TIMEOUT_SECONDS,
    ...options,
  });
}
