import { InvalidArgumentError, type KvStore, NotANumberError } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';
import { SHORT_TTL_SECONDS, sleepPastTtl } from './short-ttl.js';

/** The contract, area atomic: putIfAbsent and increment. */
export function atomicTests({ open, current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('putIfAbsent', () => {
    it('stores only when the key is absent, and says whether it stored', async () => {
      expect(await store.putIfAbsent('url:https://a.example', 'worker-1', { ttl: 3600 })).toBe(
        true,
      );
      expect(await store.putIfAbsent('url:https://a.example', 'worker-2')).toBe(false);
      expect(await store.get('url:https://a.example')).toBe('worker-1');
      expect(await store.ttl('url:https://a.example')).toBeGreaterThan(3599);
    });

    it('stores again once the previous value has expired', async () => {
      await store.putIfAbsent('lock', 'a', { ttl: SHORT_TTL_SECONDS });
      await sleepPastTtl();
      expect(await store.putIfAbsent('lock', 'b')).toBe(true);
      expect(await store.get('lock')).toBe('b');
    });

    it('lets exactly one of many concurrent callers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.putIfAbsent('contended', i)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('increment', () => {
    it('starts a missing key at 0 and returns the new number, which get reads back', async () => {
      expect(await store.increment('processed')).toBe(1);
      expect(await store.increment('processed', 4)).toBe(5);
      expect(await store.increment('processed', -2)).toBe(3);
      expect(await store.get('processed')).toBe(3);
    });

    it('adds fractions and increments values that were put as numbers', async () => {
      await store.put('score', 10);
      expect(await store.increment('score', 0.5)).toBe(10.5);
      expect(await store.get('score')).toBe(10.5);
    });

    it('counts exactly under many concurrent increments', async () => {
      await Promise.all(Array.from({ length: 200 }, () => store.increment('hits')));
      expect(await store.get('hits')).toBe(200);
    });

    it('rejects a non-numeric value with NotANumberError and leaves it unchanged', async () => {
      await store.put('name', 'alice');
      await expect(store.increment('name')).rejects.toBeInstanceOf(NotANumberError);
      await store.put('obj', { count: 1 });
      await expect(store.increment('obj')).rejects.toThrow(/obj.*not a number/);
      expect(await store.get('name')).toBe('alice');
    });

    it('applies an explicit ttl, gives new keys the default and keeps an existing TTL otherwise', async () => {
      const withDefault = await open({ defaultTtl: 100 });
      await withDefault.increment('new');
      expect(await withDefault.ttl('new')).toBeGreaterThan(99);
      await withDefault.put('kept', 1, { ttl: 500 });
      await withDefault.increment('kept');
      expect(await withDefault.ttl('kept')).toBeGreaterThan(499);
      await withDefault.increment('kept', 1, { ttl: 20 });
      expect(await withDefault.ttl('kept')).toBeLessThanOrEqual(20);
      await withDefault.increment('kept', 1, { ttl: null });
      expect(await withDefault.ttl('kept')).toBeNull();
      expect(await withDefault.get('kept')).toBe(4);
    });

    it('rejects a non-finite step', async () => {
      await expect(store.increment('k', Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.increment('k', '1' as unknown as number)).rejects.toThrow(/by must be/);
      expect(await store.exists('k')).toBe(false);
    });
  });
}
