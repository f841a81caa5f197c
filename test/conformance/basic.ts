import { type KvStore } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';

/** The contract, area basic: put/get, delete and exists. */
export function basicTests({ current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('put and get', () => {
    it('gives back every JSON value that was put', async () => {
      const values: unknown[] = [
        'text',
        '',
        0,
        -12.5,
        true,
        false,
        null,
        [1, 'two', [3]],
        { nested: { list: [1, 2], flag: true }, name: 'ünïcødé 😀' },
      ];
      for (const [i, value] of values.entries()) await store.put(`v:${i}`, value);
      for (const [i, value] of values.entries()) expect(await store.get(`v:${i}`)).toEqual(value);
    });

    it('resolves undefined for a missing key, or the default when one is given', async () => {
      expect(await store.get('missing')).toBeUndefined();
      expect(await store.get('missing', { fallback: 1 })).toEqual({ fallback: 1 });
      await store.put('present', 0);
      expect(await store.get('present', 42)).toBe(0);
    });

    it('replaces the previous value', async () => {
      await store.put('k', 'first');
      await store.put('k', 'second');
      expect(await store.get('k')).toBe('second');
    });

    it('keeps stored values isolated from the objects callers hold', async () => {
      const value = { list: [1, 2] };
      await store.put('k', value);
      value.list.push(3);
      const read = await store.get<{ list: number[] }>('k');
      read?.list.push(4);
      expect(await store.get('k')).toEqual({ list: [1, 2] });
    });

    it('accepts keys with any Unicode, spaces and separators', async () => {
      const keys = [
        'https://example.com/a?b=c&d=e#f',
        'ключ',
        '键 with space',
        '😀:emoji',
        'a\u0000b',
      ];
      for (const key of keys) await store.put(key, key);
      for (const key of keys) expect(await store.get(key)).toBe(key);
    });
  });

  describe('delete and exists', () => {
    it('delete says whether a key was removed, and exists follows', async () => {
      await store.put('k', 1);
      expect(await store.exists('k')).toBe(true);
      expect(await store.delete('k')).toBe(true);
      expect(await store.delete('k')).toBe(false);
      expect(await store.exists('k')).toBe(false);
      expect(await store.get('k')).toBeUndefined();
    });
  });
}
