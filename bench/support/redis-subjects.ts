import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { createClient } from 'redis';
import { createStore } from '../../lib/index.js';
import { KeyLayout } from '../../lib/redis/key-layout.js';
import { SCRIPTS } from '../../lib/redis/lua-scripts.js';

/** What every Redis contender offers, as its users call it (values are JSON-serialized). */
export interface RedisSubject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const PREFIX = 'bench:';

function ioredisSubject(autoPipelining: boolean, port: number): RedisSubject {
  const client = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: autoPipelining });
  return {
    put: (k, v) => client.set(PREFIX + k, JSON.stringify(v)),
    get: async (k) => {
      const text = await client.get(PREFIX + k);
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    close: async () => void (await client.quit()),
  };
}

/**
 * The floor of an atomic indexed put, one at a time: plain ioredis running the store's own put
 * script by SHA on the store's own key layout, with none of the store's code around it.
 */
function putScriptSubject(port: number): RedisSubject {
  const client = new Redis({ port, host: '127.0.0.1' });
  client.defineCommand('kvPut', SCRIPTS.kvPut);
  const { dataPrefix, indexKey } = KeyLayout.single(PREFIX).shardFor('');
  const kvPut = (...args: unknown[]): Promise<unknown> =>
    (client as unknown as { kvPut(...args: unknown[]): Promise<unknown> }).kvPut(...args);
  return {
    put: (k, v) => kvPut(dataPrefix + k, indexKey, k, JSON.stringify(v), 0),
    get: async (k) => {
      const text = await client.get(dataPrefix + k);
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    close: async () => void (await client.quit()),
  };
}

/** The Redis contenders by name; each connects to the benchmark's server on `port`. */
export const REDIS_SUBJECTS: Record<string, (port: number) => Promise<RedisSubject>> = {
  'kv-store': async (port) => {
    const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: PREFIX });
    await store.ping();
    return { put: (k, v) => store.put(k, v), get: (k) => store.get(k), close: () => store.close() };
  },
  ioredis: async (port) => ioredisSubject(false, port),
  'ioredis + put script': async (port) => putScriptSubject(port),
  'ioredis auto-pipelined': async (port) => ioredisSubject(true, port),
  'node-redis': async (port) => {
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    await client.connect();
    return {
      put: (k, v) => client.set(PREFIX + k, JSON.stringify(v)),
      get: async (k) => {
        const text = await client.get(PREFIX + k);
        return text === null ? undefined : (JSON.parse(text) as unknown);
      },
      close: async () => void (await client.close()),
    };
  },
  'keyv + @keyv/redis': async (port) => {
    const keyv = new Keyv({
      store: new KeyvRedis(`redis://127.0.0.1:${port}`),
      namespace: 'bench',
    });
    return {
      put: (k, v) => keyv.set(k, v),
      get: (k) => keyv.get(k),
      close: () => keyv.disconnect(),
    };
  },
  'cache-manager + @keyv/redis': async (port) => {
    const cache = createCache({
      stores: [new Keyv({ store: new KeyvRedis(`redis://127.0.0.1:${port}`), namespace: 'bench' })],
    });
    return {
      put: (k, v) => cache.set(k, v),
      get: (k) => cache.get(k),
      close: async () => void (await cache.disconnect()),
    };
  },
};
