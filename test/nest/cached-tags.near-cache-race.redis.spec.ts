import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Cached, KvCacheService, KvStore, KvStoreModule } from '../../lib/index.js';
import type { RedisStoreOptions } from '../../lib/redis/options/redis-store-options.js';
import { FaultProxy } from '../support/fault-proxy.js';
import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';

/** Prices by SKU; `gate`, when set, holds a computation until the test opens it. */
@Injectable()
class PriceService {
  runs = 0;
  gate: Promise<void> | undefined;
  /** Called when a computation has started (its tag versions are read by then). */
  onStarted: (() => void) | undefined;

  @Cached<[string], string>({ ttl: 600, tags: (sku) => [`sku:${sku}`] })
  async price(sku: string): Promise<string> {
    const run = ++this.runs;
    this.onStarted?.();
    if (this.gate) await this.gate;
    return `price ${sku} run ${run}`;
  }
}

let redis: RedisProcess;
let proxy: FaultProxy;
const apps: TestingModule[] = [];

beforeAll(async () => {
  redis = await startRedis();
  proxy = await FaultProxy.start(redis.port);
}, 30_000);

afterEach(async () => {
  proxy.heal();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  // The closed stores' connections end on their own; resetting them first leaves a socket timer
  // that keeps Jest from exiting.
  await waitUntil(() => proxy.connections.length === 0, 10_000, 'the stores to disconnect');
  await proxy?.close();
  await redis?.stop();
});

async function instance(store: RedisStoreOptions): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot({ type: 'redis', host: LOOPBACK, ...store })],
    providers: [PriceService],
  }).compile();
  await app.init();
  apps.push(app);
  return app;
}

describe('@Cached tags when the computing instance keeps a near cache', () => {
  it('an invalidation made during a computation is not undone by a late invalidation message', async () => {
    const keyPrefix = uniquePrefix('near-tag-race');
    // A keeps a near cache and reaches Redis through the proxy; B talks to Redis directly.
    const a = await instance({ port: proxy.port, keyPrefix, nearCache: { maxEntries: 1000 } });
    const b = await instance({ port: redis.port, keyPrefix });
    const storeA = a.get(KvStore);
    await waitUntil(
      async () =>
        ((await storeA.getStats()) as { nearCache?: { active: boolean } }).nearCache?.active ===
        true,
      10_000,
      'the near cache of A to track',
    );
    const [invalidations] = proxy.named(/^nestjs-kv-store:invalidations:/);
    expect(invalidations).toBeDefined();
    const pricesA = a.get(PriceService);
    const cacheB = b.get(KvCacheService);
    const trials = 5;
    const survivors: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const sku = `s${trial}`;
      // The tag was invalidated before, so it has a version A can read (and keep).
      await cacheB.invalidateTags(`sku:${sku}`);
      let open: () => void = () => undefined;
      pricesA.gate = new Promise((resolve) => (open = resolve));
      const started = new Promise<void>((resolve) => (pricesA.onStarted = resolve));
      const computing = pricesA.price(sku);
      await started;
      // Redis's message telling A that the version changed is late (held until healed).
      invalidations!.hold('toClient', 10_000);
      // B invalidates while A computes: nothing is written yet, so nothing is deleted.
      expect(await cacheB.invalidateTags(`sku:${sku}`)).toBe(0);
      open();
      await computing;
      invalidations!.heal();
      const key = cacheB.keyFor(PriceService, 'price', sku);
      const left = await b.get(KvStore).get(key);
      if (left !== undefined) survivors.push(`${sku}: ${String(left)}`);
    }
    pricesA.gate = undefined;
    // A saw the new version and removed what it wrote: the invalidated result is not served.
    expect(survivors).toEqual([]);
    expect(await b.get(PriceService).price('s0')).toBe('price s0 run 1');
  });
});
