import { afterAll, describe, expect, it } from '@jest/globals';
import { KvCache, type KvStore } from '../../../lib/index.js';
import { sleep } from '../../support/sleep.js';

/** The loader context (`setTtl`, `setTags`, `skip`, `stale`) against one kind of store. */
export function runLoaderContextSuite(label: string, openStore: () => Promise<KvStore>): void {
  const stores: KvStore[] = [];
  const cacheOver = async (): Promise<KvCache> => {
    const store = await openStore();
    stores.push(store);
    return new KvCache(store);
  };
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  describe(`${label}: the loader context`, () => {
    it('setTtl caches this result for the ttl the loader chose', async () => {
      const cache = await cacheOver();
      let runs = 0;
      const load = () =>
        cache.getOrSet(
          'short',
          (ctx) => {
            runs++;
            ctx.setTtl(0.3);
            return `run ${runs}`;
          },
          { ttl: 60 },
        );
      expect(await load()).toBe('run 1');
      expect(await load()).toBe('run 1');
      await sleep(400);
      expect(await load()).toBe('run 2');
    });

    it('setTags tags this result, so invalidateTags forgets it', async () => {
      const cache = await cacheOver();
      let runs = 0;
      const load = () =>
        cache.getOrSet('tagged', (ctx) => {
          runs++;
          ctx.setTags([`owner:${runs === 1 ? 'ada' : 'bob'}`]);
          return `run ${runs}`;
        });
      expect(await load()).toBe('run 1');
      expect(await cache.invalidateTags('owner:bob')).toBe(0);
      expect(await load()).toBe('run 1');
      expect(await cache.invalidateTags('owner:ada')).toBe(1);
      expect(await load()).toBe('run 2');
    });

    it('skip returns the result without caching it', async () => {
      const cache = await cacheOver();
      let runs = 0;
      const load = () =>
        cache.getOrSet('skipped', (ctx) => {
          runs++;
          if (runs === 1) ctx.skip();
          return `run ${runs}`;
        });
      expect(await load()).toBe('run 1');
      expect(await load()).toBe('run 2');
      expect(await load()).toBe('run 2');
    });

    it('stale is the value the run replaces: undefined on a miss, the old value past the ttl', async () => {
      const cache = await cacheOver();
      const seen: unknown[] = [];
      const load = (value: string) =>
        cache.getOrSet(
          'replaced',
          (ctx) => {
            seen.push(ctx.stale);
            return value;
          },
          { ttl: 0.3, grace: 60 },
        );
      expect(await load('first')).toBe('first');
      await sleep(400);
      expect(await load('second')).toBe('second');
      expect(seen).toEqual([undefined, 'first']);
    });
  });
}
