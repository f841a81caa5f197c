import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cached,
  KvCacheService,
  KvStore,
  KvStoreModule,
  type KvStoreModuleOptions,
} from '../../lib/index.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';

/** A promise with its resolve function, to release a step of the test when it chooses. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

@Injectable()
class CatalogService {
  calls = 0;
  release = gate();

  @Cached(30)
  async product(id: number): Promise<{ id: number; run: number }> {
    const run = ++this.calls;
    await this.release.opened;
    return { id, run };
  }
}

/**
 * Holds the answer of the `nth` read of the store (counting from 1): the read is sent to the
 * store at once, so it sees the store as it is now, but its caller gets the answer only when
 * the returned gate opens.
 */
function holdRead(store: KvStore, nth: number): { issued: Promise<void>; release: () => void } {
  const original = store.get.bind(store);
  const held = gate();
  const issued = gate();
  let reads = 0;
  store.get = (async (key: string) => {
    reads++;
    if (reads !== nth) return original(key);
    const answer = original(key);
    issued.open();
    await held.opened;
    return answer;
  }) as KvStore['get'];
  return { issued: issued.opened, release: held.open };
}

/**
 * Starts an app on `options` whose CatalogService has two callers of product(7): the first runs
 * the method, the second (`late`) had its store read held, and the method is released; `body`
 * decides when the late read answers.
 */
async function withLateCaller(
  options: () => KvStoreModuleOptions,
  body: (scene: {
    catalog: CatalogService;
    cache: KvCacheService;
    first: Promise<{ id: number; run: number }>;
    late: Promise<{ id: number; run: number }>;
    lateRead: { release: () => void };
  }) => Promise<void>,
): Promise<void> {
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot(options())],
    providers: [CatalogService],
  }).compile();
  await app.init();
  try {
    const catalog = app.get(CatalogService);
    const cache = app.get(KvCacheService);
    const lateRead = holdRead(app.get(KvStore), 2);
    const first = catalog.product(7);
    const late = catalog.product(7);
    await lateRead.issued;
    catalog.release.open();
    await body({ catalog, cache, first, late, lateRead });
  } finally {
    await app.close();
  }
}

describe('@Cached callers of one key share one run, even when a read answers late', () => {
  let redis: SharedServer;

  beforeAll(async () => {
    redis = sharedStandalone();
  });

  const stores: Array<[string, () => KvStoreModuleOptions]> = [
    ['the memory store', () => ({})],
    [
      'Redis',
      () => ({
        type: 'redis',
        host: LOOPBACK,
        port: redis.port,
        keyPrefix: uniquePrefix('late-read'),
        timeout: 2,
      }),
    ],
  ];

  it.each(stores)(
    'on %s, a caller whose read was sent before the first run wrote, but answered after that run ended, gets that run’s result',
    async (_name, options) => {
      await withLateCaller(options, async ({ catalog, cache, first, late, lateRead }) => {
        expect(await first).toEqual({ id: 7, run: 1 });
        // The first run has written and left the in-flight map; only now does the late read answer.
        lateRead.release();
        expect(await late).toEqual({ id: 7, run: 1 });
        expect(catalog.calls).toBe(1);
        expect(cache.getCachedStats()).toMatchObject({ misses: 1, coalesced: 1, hits: 0 });
        // Callers that start after the run ended read its entry from the store.
        expect(await catalog.product(7)).toEqual({ id: 7, run: 1 });
        expect(cache.getCachedStats()).toMatchObject({ misses: 1, coalesced: 1, hits: 1 });
      });
    },
  );

  it.each(stores)(
    'on %s, a call that starts after an invalidation runs the method again although an older read is still pending',
    async (_name, options) => {
      await withLateCaller(options, async ({ catalog, cache, first, late, lateRead }) => {
        await first;
        expect(await cache.invalidate(CatalogService, 'product', 7)).toBe(true);
        // The late read is still pending, but this call began after the invalidation.
        const fresh = await catalog.product(7);
        expect(fresh).toEqual({ id: 7, run: 2 });
        lateRead.release();
        // The late caller overlapped both runs; it shares the newest instead of running a third.
        expect(await late).toEqual({ id: 7, run: 2 });
        expect(catalog.calls).toBe(2);
      });
    },
  );
});
