import { afterAll, beforeAll } from '@jest/globals';
import { RedisStore, type RedisStoreOptions } from '../../../lib/index.js';
import { clusterStore, standaloneStore } from '../redis-stores.js';

/**
 * The servers the `redis` Jest project shares between its specs (started once by
 * global-setup.ts). A spec on them isolates itself by its own key prefix and never stops, pauses,
 * flushes or reconfigures them; a spec that needs any of that starts its own server.
 */

/** Environment variable with the port of the shared standalone server. */
export const SHARED_STANDALONE_ENV = 'KV_TEST_SHARED_REDIS_PORT';
/** Environment variable with the ports of the shared cluster's nodes, comma-separated. */
export const SHARED_CLUSTER_ENV = 'KV_TEST_SHARED_CLUSTER_PORTS';

/** A shared server: only its port, since no spec may stop it. */
export interface SharedServer {
  readonly port: number;
}

/** The shared cluster: its nodes' ports. */
export interface SharedCluster {
  readonly nodes: readonly SharedServer[];
}

function ports(variable: string): number[] {
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new Error(
      `${variable} is not set: this spec uses the shared servers of the redis Jest project; ` +
        'list it in the REDIS group of jest.config.js',
    );
  }
  return value.split(',').map(Number);
}

/** The shared standalone server of this run. */
export function sharedStandalone(): SharedServer {
  return { port: ports(SHARED_STANDALONE_ENV)[0] as number };
}

/** The shared 6-node cluster of this run. */
export function sharedCluster(): SharedCluster {
  return { nodes: ports(SHARED_CLUSTER_ENV).map((port) => ({ port })) };
}

/**
 * A store on the shared standalone server (or cluster) with a key prefix of its own, opened
 * before the spec's tests and closed after them; call the returned function inside a test.
 */
export function useRedis(
  label: string,
  options: RedisStoreOptions = {},
  topology: 'standalone' | 'cluster' = 'standalone',
): () => RedisStore {
  let store: RedisStore | undefined;
  beforeAll(() => {
    store =
      topology === 'cluster'
        ? clusterStore(sharedCluster(), label, options)
        : standaloneStore(sharedStandalone(), label, options);
  });
  afterAll(async () => {
    await store?.close();
  });
  return () => {
    if (store === undefined) throw new Error('useRedis: the store opens in beforeAll');
    return store;
  };
}
