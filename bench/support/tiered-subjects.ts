import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BasicClientSideCache, createClient } from '@redis/client';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import {
  Cached,
  KvCache,
  KvStore,
  KvStoreModule,
  RedisStore,
  type GetOrSetOptions,
} from '../../lib/index.js';

/**
 * A cache with an in-process first tier in front of Redis, as its users run it: ours (a Redis
 * store with `nearCache`, with `@Cached` or `KvCache.getOrSet` on it), bentocache (memory L1 + Redis L2 + Redis bus) and
 * node-redis 5 with its client-side cache. Values are JSON.
 */
export interface TieredSubject {
  /** Reads `key`; undefined when absent. */
  get(key: string): Promise<unknown>;
  /** Writes `key` for an hour; every instance's in-process copy of it goes. */
  put(key: string, value: unknown): Promise<unknown>;
  /**
   * The library's cache-aside call (`@Cached` for ours, `getOrSet` for bentocache): the value of
   * `key`, from `loader` on a miss, kept for an hour. Absent for node-redis, which has none.
   */
  getOrSet?(key: string, loader: () => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Where a subject connects and how long it waits for Redis. */
export interface TieredOptions {
  port: number;
  /** Key prefix (a bentocache `prefix`); processes that must share keys use the same one. */
  prefix: string;
  /** Seconds a command waits for Redis: our `timeout`, ioredis `commandTimeout` for bentocache. */
  timeout: number;
  /** Most keys the in-process tier holds. */
  maxEntries: number;
}

/** The `@Cached` method ours is measured through: its loader is the caller's, per call. */
@Injectable()
class CachedLoads {
  private readonly loaders = new Map<string, () => Promise<unknown>>();

  load(key: string, loader: () => Promise<unknown>): Promise<unknown> {
    this.loaders.set(key, loader);
    return this.cached(key);
  }

  @Cached(3600)
  async cached(key: string): Promise<unknown> {
    return (this.loaders.get(key) as () => Promise<unknown>)();
  }
}

/** Waits until the near cache of `store` tracks reads (before that, every get goes to Redis). */
async function untilTracking(store: RedisStore): Promise<void> {
  for (let tries = 0; (await store.getStats()).nearCache?.active !== true; tries++) {
    if (tries > 100) throw new Error('the near cache did not establish tracking');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `@Cached` in a Nest app over a near-cached Redis store, with the circuit breaker or not. */
async function kvStoreSubject(
  options: TieredOptions,
  circuitBreaker = false,
): Promise<TieredSubject> {
  @Module({
    imports: [
      KvStoreModule.forRoot({
        type: 'redis',
        host: '127.0.0.1',
        port: options.port,
        keyPrefix: options.prefix,
        timeout: options.timeout,
        nearCache: { maxEntries: options.maxEntries },
        circuitBreaker,
      }),
    ],
    providers: [CachedLoads],
  })
  class TieredModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(TieredModule, {
    logger: false,
  });
  const store = app.get(KvStore);
  if (!(store instanceof RedisStore)) throw new Error('expected a Redis store');
  const loads = app.get(CachedLoads);
  await untilTracking(store);
  return {
    get: (key) => store.get(key),
    put: (key, value) => store.put(key, value, { ttl: 3600 }),
    getOrSet: (key, loader) => loads.load(key, loader),
    close: () => app.close(),
  };
}

/**
 * `KvCache.getOrSet` without Nest over a near-cached Redis store, with `callOptions` (hoisted, as
 * the docs ask: an options object is checked once).
 */
async function kvCacheSubject(
  options: TieredOptions,
  callOptions: GetOrSetOptions<unknown>,
): Promise<TieredSubject> {
  const store = new RedisStore({
    host: '127.0.0.1',
    port: options.port,
    keyPrefix: options.prefix,
    timeout: options.timeout,
    nearCache: { maxEntries: options.maxEntries },
  });
  await store.connect();
  await untilTracking(store);
  // Warnings (a failed read while Redis is paused) would flood the benchmark's output.
  const cache = new KvCache(store, { logger: { warn: () => undefined } });
  return {
    get: (key) => store.get(key),
    put: (key, value) => store.put(key, value, { ttl: 3600 }),
    getOrSet: (key, loader) => cache.getOrSet(key, loader, callOptions),
    close: () => store.close(),
  };
}

/**
 * bentocache's multi-tier set-up from its docs (L1 memory, L2 Redis, Redis bus), with `serialize`
 * of the memory driver as given (its docs' fast path is `false`: the L1 then hands out the cached
 * object itself).
 */
function bentocacheSubject(options: TieredOptions, serialize: boolean): TieredSubject {
  const connection = {
    host: '127.0.0.1',
    port: options.port,
    commandTimeout: options.timeout * 1000,
  };
  const bento = new BentoCache({
    default: 'tiered',
    prefix: options.prefix,
    ttl: '1h',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: options.maxEntries, serialize }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection })),
    },
  });
  return {
    get: (key) => bento.get({ key }),
    put: (key, value) => bento.set({ key, value }),
    getOrSet: (key, loader) => bento.getOrSet({ key, factory: loader }),
    close: () => bento.disconnectAll(),
  };
}

/** node-redis 5 with its client-side cache (RESP3, server-assisted tracking), GET + JSON.parse. */
async function nodeRedisCscSubject(options: TieredOptions): Promise<TieredSubject> {
  const cache = new BasicClientSideCache({ maxEntries: options.maxEntries });
  const client = createClient({
    url: `redis://127.0.0.1:${options.port}`,
    RESP: 3,
    clientSideCache: cache,
  });
  await client.connect();
  return {
    get: async (key) => {
      const text = await client.get(options.prefix + key);
      return text === null ? undefined : (JSON.parse(text) as unknown);
    },
    put: (key, value) => client.set(options.prefix + key, JSON.stringify(value), { EX: 3600 }),
    close: async () => void (await client.close()),
  };
}

/** The tiered contenders by name. */
export const TIERED_SUBJECTS: Record<string, (options: TieredOptions) => Promise<TieredSubject>> = {
  'kv-store': (options) => kvStoreSubject(options),
  'kv-store + breaker': (options) => kvStoreSubject(options, true),
  'kv-store getOrSet': (options) => kvCacheSubject(options, { ttl: 3600 }),
  'kv-store getOrSet + grace': (options) => kvCacheSubject(options, { ttl: 3600, grace: 3600 }),
  bentocache: (options) => Promise.resolve(bentocacheSubject(options, true)),
  'bentocache serialize: false': (options) => Promise.resolve(bentocacheSubject(options, false)),
  'node-redis CSC': nodeRedisCscSubject,
};

/** Builds the named subject, or throws naming it. */
export function tieredSubject(name: string, options: TieredOptions): Promise<TieredSubject> {
  const build = TIERED_SUBJECTS[name];
  if (!build) throw new Error(`unknown tiered subject ${name}`);
  return build(options);
}
