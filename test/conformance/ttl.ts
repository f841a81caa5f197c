import { type KvStore } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';
import { SHORT_TTL_SECONDS, sleepPastTtl } from './short-ttl.js';

/** The contract, area ttl: TTLs in seconds and durations, defaultTtl, ttl(). */
export function ttlTests({ open, current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('TTL', () => {
    it('expires a key after its TTL in seconds, and a duration works the same', async () => {
      await store.put('short', 'x', { ttl: SHORT_TTL_SECONDS });
      await store.put('duration', 'y', { ttl: { milliseconds: SHORT_TTL_SECONDS * 1000 } });
      await store.put('long', 'z', { ttl: { minutes: 1 } });
      await sleepPastTtl();
      expect(await store.get('short')).toBeUndefined();
      expect(await store.exists('duration')).toBe(false);
      expect(await store.ttl('short')).toBeUndefined();
      expect(await store.get('long')).toBe('z');
    });

    it('reports remaining seconds, null for no expiry and undefined for no key', async () => {
      await store.put('expiring', 1, { ttl: { hours: 1, minutes: 30 } });
      await store.put('forever', 1);
      const remaining = await store.ttl('expiring');
      expect(remaining).toBeGreaterThan(5399);
      expect(remaining).toBeLessThanOrEqual(5400);
      expect(await store.ttl('forever')).toBeNull();
      expect(await store.ttl('missing')).toBeUndefined();
    });

    it('applies the store defaultTtl when a put passes none, and ttl: null overrides it', async () => {
      const withDefault = await open({ defaultTtl: 60 });
      await withDefault.put('defaulted', 1);
      await withDefault.put('forever', 1, { ttl: null });
      await withDefault.put('explicit', 1, { ttl: 600 });
      expect(await withDefault.ttl('defaulted')).toBeGreaterThan(59);
      expect(await withDefault.ttl('defaulted')).toBeLessThanOrEqual(60);
      expect(await withDefault.ttl('forever')).toBeNull();
      expect(await withDefault.ttl('explicit')).toBeGreaterThan(599);
    });

    it('a put without TTL on a key that had one makes it permanent', async () => {
      await store.put('k', 1, { ttl: 60 });
      await store.put('k', 2);
      expect(await store.ttl('k')).toBeNull();
    });
  });
}
