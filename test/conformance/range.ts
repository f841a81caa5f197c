import { type KvStore } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';
import { SHORT_TTL_SECONDS, sleepPastTtl } from './short-ttl.js';

/** The contract, area range: ordered range and prefix queries, iterate(). */
export function rangeTests({ current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('rangeGet', () => {
    beforeEach(async () => {
      await store.putMany([
        ['user:3', 3],
        ['user:1', 1],
        ['user:2', 2],
        ['users', 'not a user'],
        ['order:1', 'o1'],
      ]);
    });

    it('without endKey returns every key with that prefix, in key order', async () => {
      expect(await store.rangeGet('user:')).toEqual([
        ['user:1', 1],
        ['user:2', 2],
        ['user:3', 3],
      ]);
    });

    it('with endKey returns the half-open range startKey <= k < endKey', async () => {
      expect(await store.rangeGet('user:1', 'user:3')).toEqual([
        ['user:1', 1],
        ['user:2', 2],
      ]);
    });

    it('limit returns the first N in key order', async () => {
      expect(await store.rangeGet('user:', undefined, { limit: 2 })).toEqual([
        ['user:1', 1],
        ['user:2', 2],
      ]);
      expect(await store.rangeGet('a', 'z', { limit: 1 })).toEqual([['order:1', 'o1']]);
    });

    it('returns nothing when startKey >= endKey, or when nothing matches', async () => {
      expect(await store.rangeGet('user:3', 'user:1')).toEqual([]);
      expect(await store.rangeGet('user:1', 'user:1')).toEqual([]);
      expect(await store.rangeGet('nobody:')).toEqual([]);
    });

    it("an empty prefix ('') lists every key of the store", async () => {
      const all = await store.rangeGet('');
      expect(all.map(([key]) => key)).toEqual(['order:1', 'user:1', 'user:2', 'user:3', 'users']);
    });

    it('orders keys by their UTF-8 bytes, so every backend agrees for any Unicode key', async () => {
      await store.clear();
      // JavaScript's sort would put the emoji (a surrogate pair) before U+FF61.
      const keys = [
        'k:\uff61',
        'k:😀',
        'k:a',
        'k:é',
        'k:Z',
        'k:\u0000',
        'k:ab',
        'k:\u07ff',
        'k:\u0800',
      ];
      for (const key of keys) await store.put(key, key);
      const expected = [...keys].sort((a, b) =>
        Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
      );
      expect(expected.indexOf('k:\uff61')).toBeLessThan(expected.indexOf('k:😀'));
      expect((await store.rangeGet('k:')).map(([key]) => key)).toEqual(expected);
      expect((await store.rangeGet('k:\uff61', 'k:😀')).map(([key]) => key)).toEqual(['k:\uff61']);
    });

    it('treats glob characters in a prefix literally', async () => {
      await store.clear();
      const keys = ['a*b:1', 'a?b:1', 'a[b]:1', 'a\\b:1', 'axb:1', 'a*bc'];
      for (const key of keys) await store.put(key, key);
      expect((await store.rangeGet('a*b:')).map(([k]) => k)).toEqual(['a*b:1']);
      expect((await store.rangeGet('a?b')).map(([k]) => k)).toEqual(['a?b:1']);
      expect((await store.rangeGet('a[b]')).map(([k]) => k)).toEqual(['a[b]:1']);
      expect((await store.rangeGet('a\\')).map(([k]) => k)).toEqual(['a\\b:1']);
    });

    it('leaves out keys that have expired', async () => {
      await store.put('user:4', 4, { ttl: SHORT_TTL_SECONDS });
      await sleepPastTtl();
      expect((await store.rangeGet('user:')).map(([k]) => k)).toEqual([
        'user:1',
        'user:2',
        'user:3',
      ]);
    });
  });

  describe('iterate', () => {
    it('walks a large range in batches, in key order, without missing a key', async () => {
      const entries: Array<[string, number]> = [];
      for (let i = 0; i < 250; i++) entries.push([`item:${String(i).padStart(4, '0')}`, i]);
      await store.putMany(entries);
      await store.put('other', 'x');
      const seen: Array<[string, unknown]> = [];
      for await (const entry of store.iterate('item:', undefined, { batchSize: 40 })) {
        seen.push(entry);
      }
      expect(seen).toEqual(entries);
    });

    it('honours endKey and limit', async () => {
      for (let i = 0; i < 10; i++) await store.put(`n:${i}`, i);
      const seen: string[] = [];
      for await (const [key] of store.iterate('n:2', 'n:8', { batchSize: 2, limit: 5 })) {
        seen.push(key);
      }
      expect(seen).toEqual(['n:2', 'n:3', 'n:4', 'n:5', 'n:6']);
    });
  });
}
