import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  Cached,
  ConnectionError,
  getKvStoreToken,
  KvCacheService,
  KvStore,
  KvStoreHealthIndicator,
  KvStoreModule,
} from '../../lib/index.js';
import {
  freePort,
  LOOPBACK,
  redisCli,
  type RedisProcess,
  startRedis,
  uniquePrefix,
  waitUntil,
} from '../support/redis-harness.js';

/** Connections the library opened to `port` (the store names its connections `nestjs-kv-store`). */
async function libraryConnections(port: number): Promise<number> {
  const list = await redisCli(port, 'CLIENT', 'LIST');
  return list.split('\n').filter((line) => line.includes('name=nestjs-kv-store')).length;
}

@Injectable()
class CatalogService {
  calls = 0;

  @Cached(30)
  async product(id: number): Promise<{ id: number }> {
    this.calls++;
    return { id };
  }
}

describe('KvStoreModule with a real Redis', () => {
  let redis: RedisProcess;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  function redisOptions(label: string) {
    return {
      type: 'redis' as const,
      host: LOOPBACK,
      port: redis.port,
      keyPrefix: uniquePrefix(label),
      timeout: 2,
    };
  }

  it('leaves no connection open on the server after app.close() (CLIENT LIST)', async () => {
    const app = await Test.createTestingModule({
      imports: [
        KvStoreModule.forRoot(redisOptions('default')),
        KvStoreModule.forRoot({ name: 'sessions', ...redisOptions('sessions') }),
      ],
      providers: [CatalogService],
    }).compile();
    await app.init();
    const catalog = app.get(CatalogService);
    await catalog.product(1);
    await catalog.product(1);
    expect(catalog.calls).toBe(1);
    await app.get<KvStore>(getKvStoreToken('sessions')).put('s', 'v');
    expect(await libraryConnections(redis.port)).toBeGreaterThanOrEqual(2);

    await app.close();

    expect(app.get(KvStore).isClosed).toBe(true);
    await waitUntil(
      async () => (await libraryConnections(redis.port)) === 0,
      5000,
      'the server to list no connection of the app',
    );
  });

  it('caches, invalidates and counts against Redis like against memory', async () => {
    const app = await Test.createTestingModule({
      imports: [KvStoreModule.forRoot(redisOptions('cached'))],
      providers: [CatalogService],
    }).compile();
    await app.init();
    try {
      const catalog = app.get(CatalogService);
      const cache = app.get(KvCacheService);
      await Promise.all(Array.from({ length: 100 }, () => catalog.product(7)));
      expect(catalog.calls).toBe(1);
      await catalog.product(8);
      expect(await cache.invalidate(CatalogService, 'product', 7)).toBe(true);
      await catalog.product(7);
      expect(catalog.calls).toBe(3);
      expect(await cache.invalidateAll(CatalogService, 'product')).toBe(2);
      expect(cache.getCachedStats()).toMatchObject({ misses: 3, coalesced: 99 });
    } finally {
      await app.close();
    }
  });

  it('closes the store at shutdown while it is reconnecting to a server that went away', async () => {
    const doomed = await startRedis();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await Test.createTestingModule({
        imports: [
          KvStoreModule.forRoot({ type: 'redis', host: LOOPBACK, port: doomed.port, timeout: 1 }),
        ],
      }).compile();
      await app.init();
      const store = app.get(KvStore);
      await store.put('k', 1);
      await doomed.stop();
      await expect(store.get('k')).rejects.toThrow(ConnectionError);
      await app.close();
      expect(store.isClosed).toBe(true);
    } finally {
      warn.mockRestore();
      await doomed.stop();
    }
  });
});

describe('booting while Redis is unreachable', () => {
  let deadPort: number;

  beforeEach(async () => {
    // A port that was free a moment ago: nothing listens on it, connections are refused.
    deadPort = await freePort();
  });

  it('fails the boot within the store timeout, with a clear error, by default', async () => {
    const started = Date.now();
    const boot = Test.createTestingModule({
      imports: [
        KvStoreModule.forRoot({ type: 'redis', host: LOOPBACK, port: deadPort, timeout: 1 }),
      ],
    }).compile();
    await expect(boot).rejects.toThrow(ConnectionError);
    await expect(boot).rejects.toThrow(
      /KvStoreModule: the default store \(redis\) did not answer at boot: .*set waitForConnection: false to start without it/s,
    );
    // Not a performance check: a generous bound that catches a boot that waits for ever.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails the boot within the store timeout when the server accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, LOOPBACK, resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      await expect(
        Test.createTestingModule({
          imports: [KvStoreModule.forRoot({ type: 'redis', host: LOOPBACK, port, timeout: 1 })],
        }).compile(),
      ).rejects.toThrow(/the default store \(redis\) did not answer at boot/);
      // Not a performance check: the store's 1 s timeout has to be what ended the wait.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('starts with waitForConnection: false, reports the store down, and connects once Redis is there', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let late: RedisProcess | undefined;
    const app = await Test.createTestingModule({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        KvStoreModule.forRoot({
          type: 'redis',
          host: LOOPBACK,
          port: deadPort,
          timeout: 1,
          keyPrefix: uniquePrefix('late'),
          waitForConnection: false,
        }),
      ],
    }).compile();
    try {
      await app.init();
      const store = app.get(KvStore);
      await expect(store.put('k', 1)).rejects.toThrow(ConnectionError);
      const health = app.get(KvStoreHealthIndicator);
      expect(await health.isHealthy('kv', { timeout: 3 })).toMatchObject({
        kv: { status: 'down', backend: 'redis', store: 'default' },
      });
      await waitUntil(
        async () => warn.mock.calls.length > 0,
        5000,
        'the unreachable-store warning',
      );
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/not reachable yet; the app starts anyway/);

      late = await startRedis({ customPort: true, args: ['--port', String(deadPort)] });
      await waitUntil(
        async () => {
          await store.ping();
          return true;
        },
        15_000,
        'the store to reconnect',
      );
      expect(await health.isHealthy('kv')).toMatchObject({
        kv: { status: 'up', backend: 'redis' },
      });
    } finally {
      warn.mockRestore();
      await app.close();
      await late?.stop();
    }
  });
});
