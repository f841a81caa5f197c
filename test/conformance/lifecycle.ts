import { type KvStore, StoreClosedError } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';
import { SHORT_TTL_SECONDS, sleepPastTtl } from './short-ttl.js';

/** The contract, area lifecycle: clear, getStats and close. */
export function lifecycleTests({ factory, current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('clear and getStats', () => {
    it('clear removes every key of the store and says how many', async () => {
      await store.putMany([
        ['a', 1],
        ['b', 2],
      ]);
      expect(await store.clear()).toBe(2);
      expect(await store.rangeGet('')).toEqual([]);
      expect(await store.get('a')).toBeUndefined();
    });

    it('getStats counts keys and expiring keys and names the backend', async () => {
      await store.put('forever', 1);
      await store.put('expiring', 1, { ttl: 60 });
      await store.put('gone', 1, { ttl: SHORT_TTL_SECONDS });
      await sleepPastTtl();
      const stats = await store.getStats();
      expect(stats.backend).toBe(store.backend);
      expect(stats.serializer).toBe('json');
      expect(stats.totalKeys).toBe(2);
      expect(stats.expiringKeys).toBe(1);
    });
  });

  describe('close', () => {
    it('is idempotent, and every call afterwards rejects with StoreClosedError', async () => {
      const closing = await factory({});
      await closing.put('k', 1);
      await closing.clear();
      await closing.close();
      await closing.close();
      expect(closing.isClosed).toBe(true);
      await expect(closing.get('k')).rejects.toBeInstanceOf(StoreClosedError);
      await expect(closing.put('k', 1)).rejects.toThrow(/is closed/);
      await expect(closing.rangeGet('')).rejects.toBeInstanceOf(StoreClosedError);
    });

    it('await using closes the store at the end of the block', async () => {
      let escaped: KvStore | undefined;
      {
        await using scoped = await factory({});
        escaped = scoped;
        await scoped.ping();
      }
      expect(escaped.isClosed).toBe(true);
    });
  });
}
