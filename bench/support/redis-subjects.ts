import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { createClient as createNodeRedis5Client } from '@redis/client';
import { createClient as createNodeRedis6Client } from 'redis';
import { createStore } from '../../lib/index.js';
import { KeyLayout } from '../../lib/redis/index/key-layout.js';
import { SCRIPTS } from '../../lib/redis/scripts/lua-scripts.js';

/** What every Redis contender offers, as its users call it (values are JSON-serialized). */
export interface RedisSubject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Where a subject keeps its keys when none is given; subjects measured in one process get their own. */
const PREFIX = 'bench:';

function ioredisSubject(autoPipelining: boolean, port: number, prefix: string): RedisSubject {
  const client = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: autoPipelining });
  return {
    put: (k, v) => client.set(prefix + k, JSON.stringify(v)),
    get: async (k) => {
      const text = await client.get(prefix + k);
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    close: async () => void (await client.quit()),
  };
}

/** The GET/SET/close surface node-redis 5 and 6 share. */
interface NodeRedisClient {
  connect(): Promise<unknown>;
  get(key: string): Promise<string | null | unknown>;
  set(key: string, value: string): Promise<unknown>;
  close(): Promise<unknown>;
}

async function nodeRedisSubject(client: NodeRedisClient, prefix: string): Promise<RedisSubject> {
  await client.connect();
  return {
    put: (k, v) => client.set(prefix + k, JSON.stringify(v)),
    get: async (k) => {
      const text = (await client.get(prefix + k)) as string | null;
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    close: async () => void (await client.close()),
  };
}

/**
 * The floor of an atomic indexed put, one at a time: plain ioredis running the store's own put
 * script by SHA on the store's own key layout, with none of the store's code around it.
 */
function putScriptSubject(port: number, prefix: string): RedisSubject {
  const client = new Redis({ port, host: '127.0.0.1' });
  client.defineCommand('kvPut', SCRIPTS.kvPut);
  const { dataPrefix, indexKey } = KeyLayout.single(prefix).shardFor('');
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

/**
 * The Redis contenders by name; each connects to the benchmark's server on `port` and keeps its
 * keys under `prefix` (a keyv namespace for the keyv-based ones).
 */
export const REDIS_SUBJECTS: Record<
  string,
  (port: number, prefix?: string) => Promise<RedisSubject>
> = {
  'kv-store': async (port, prefix = PREFIX) => {
    const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: prefix });
    await store.ping();
    return { put: (k, v) => store.put(k, v), get: (k) => store.get(k), close: () => store.close() };
  },
  ioredis: async (port, prefix = PREFIX) => ioredisSubject(false, port, prefix),
  'ioredis + put script': async (port, prefix = PREFIX) => putScriptSubject(port, prefix),
  'ioredis auto-pipelined': async (port, prefix = PREFIX) => ioredisSubject(true, port, prefix),
  // The client @keyv/redis is built on; node-redis 6 is a separate line with its own speed.
  'node-redis 5': async (port, prefix = PREFIX) =>
    nodeRedisSubject(createNodeRedis5Client({ url: `redis://127.0.0.1:${port}` }), prefix),
  'node-redis 6': async (port, prefix = PREFIX) =>
    nodeRedisSubject(createNodeRedis6Client({ url: `redis://127.0.0.1:${port}` }), prefix),
  'keyv + @keyv/redis': async (port, prefix = PREFIX) => {
    const keyv = new Keyv({
      store: new KeyvRedis(`redis://127.0.0.1:${port}`),
      namespace: namespaceOf(prefix),
    });
    return {
      put: (k, v) => keyv.set(k, v),
      get: (k) => keyv.get(k),
      close: () => keyv.disconnect(),
    };
  },
  'cache-manager + @keyv/redis': async (port, prefix = PREFIX) => {
    const cache = createCache({
      stores: [
        new Keyv({
          store: new KeyvRedis(`redis://127.0.0.1:${port}`),
          namespace: namespaceOf(prefix),
        }),
      ],
    });
    return {
      put: (k, v) => cache.set(k, v),
      get: (k) => cache.get(k),
      close: async () => void (await cache.disconnect()),
    };
  },
};

/** keyv adds its own separator after the namespace. */
function namespaceOf(prefix: string): string {
  return prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
}
