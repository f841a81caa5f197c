import { createHash } from 'node:crypto';
import { ConnectionError, RedisStore } from '../../lib/index.js';
import { SCRIPTS } from '../../lib/redis/scripts/lua-scripts.js';
import { FaultProxy } from '../support/fault-proxy.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';

/**
 * Redis Cluster on a connection that drops after a command ran but before its reply arrived:
 * ioredis' Cluster sends such a command again on its own, which is harmless for a put but runs an
 * increment twice and makes a putIfAbsent that stored its value answer "already there". The store
 * lets ioredis send again only what gives the same result twice.
 *
 * A one-node cluster announces the proxy's port, so that every connection of the store, slot-map
 * refreshes included, goes through the proxy.
 */
let server: RedisProcess;
let proxy: FaultProxy;

const sha = (lua: string): string => createHash('sha1').update(lua).digest('hex');

beforeAll(async () => {
  server = await startRedis({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  });
  proxy = await FaultProxy.start(server.port);
  await redisCli(server.port, 'config', 'set', 'cluster-announce-ip', LOOPBACK);
  await redisCli(server.port, 'config', 'set', 'cluster-announce-port', String(proxy.port));
  await redisCli(server.port, 'cluster', 'addslotsrange', '0', '16383');
  await waitUntil(
    async () => (await redisCli(server.port, 'cluster', 'info')).includes('cluster_state:ok'),
    10_000,
    'cluster_state:ok',
  );
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

function clusterStore(label: string): RedisStore {
  return new RedisStore({
    cluster: { nodes: [{ host: LOOPBACK, port: proxy.port }] },
    keyPrefix: uniquePrefix(label),
    timeout: 2,
  });
}

/** What `call` settled with: its value, or the error's class and message. */
async function settle(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => ({ value }),
    (error: unknown) => ({
      error: error instanceof Error ? error.constructor.name : String(error),
      message: error instanceof Error ? error.message : '',
    }),
  );
}

describe('Redis Cluster: a connection lost after a command ran, before its reply', () => {
  it('rejects an increment with ConnectionError instead of running it a second time', async () => {
    const store = clusterStore('run-once-incr');
    try {
      // The first call of a script on a connection sends its text (EVAL), later ones its SHA.
      await store.increment('warm-up');
      const fault = proxy.inject({
        command: 'EVALSHA',
        args: [sha(SCRIPTS.kvIncrement.lua)],
        action: 'reset-after',
      });
      const outcome = await settle(store.increment('n'));
      await fault.fired;
      expect(outcome).toEqual({
        error: ConnectionError.name,
        message: expect.stringMatching(/may or may not have run/) as unknown,
      });
      // It ran once: the next increment answers 2.
      expect(await store.increment('n')).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('rejects a putIfAbsent with ConnectionError instead of answering false for the value it stored', async () => {
    const store = clusterStore('run-once-pia');
    try {
      await store.putIfAbsent('warm-up', 1);
      const fault = proxy.inject({
        command: 'EVALSHA',
        args: [sha(SCRIPTS.kvPutIfAbsent.lua)],
        action: 'reset-after',
      });
      const outcome = await settle(store.putIfAbsent('k', 'mine'));
      await fault.fired;
      expect(outcome).toMatchObject({ error: ConnectionError.name });
      expect(await store.get('k')).toBe('mine');
    } finally {
      await store.close();
    }
  });

  it('rejects taking a lease with ConnectionError instead of answering "held by another" for the lease it took', async () => {
    const store = clusterStore('run-once-lease');
    try {
      await store.put('warm-up', 1);
      const fault = proxy.inject({
        command: 'SET',
        action: 'reset-after',
      });
      const outcome = await settle(store.tryLease('job', 'token-a', 5000));
      await fault.fired;
      expect(outcome).toMatchObject({ error: ConnectionError.name });
      // The lease was taken once, by this token: renewing it with the token succeeds.
      expect(await store.renewLease('job', 'token-a', 5000)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('sends a put again, which gives the same result twice', async () => {
    const store = clusterStore('run-once-put');
    try {
      await store.put('warm-up', 1);
      const fault = proxy.inject({
        command: 'EVALSHA',
        args: [sha(SCRIPTS.kvPut.lua)],
        action: 'reset-after',
      });
      expect(await settle(store.put('k', 'v'))).toEqual({ value: undefined });
      await fault.fired;
      expect(await store.get('k')).toBe('v');
    } finally {
      await store.close();
    }
  });
});
