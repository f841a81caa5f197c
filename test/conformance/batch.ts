import { type KvStore, SerializationError } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';

/** The contract, area batch: getMany, putMany, deleteMany. */
export function batchTests({ current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('batch operations', () => {
    it('getMany returns values in the order of the keys, undefined where missing', async () => {
      await store.putMany([
        ['a', 1],
        ['b', { two: 2 }],
      ]);
      expect(await store.getMany(['b', 'missing', 'a'])).toEqual([{ two: 2 }, undefined, 1]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('putMany applies one TTL to every entry, and a Map works as entries', async () => {
      await store.putMany(
        new Map<string, unknown>([
          ['x', 1],
          ['y', 2],
        ]),
        { ttl: 30 },
      );
      expect(await store.ttl('x')).toBeGreaterThan(29);
      expect(await store.ttl('y')).toBeGreaterThan(29);
    });

    it('putMany writes nothing when one entry is bad', async () => {
      await expect(
        store.putMany([
          ['good', 1],
          ['bad', undefined],
        ]),
      ).rejects.toBeInstanceOf(SerializationError);
      await expect(
        store.putMany([
          ['good', 1],
          ['', 2],
        ]),
      ).rejects.toThrow(/entries\[1\] key must not be empty/);
      expect(await store.exists('good')).toBe(false);
    });

    it('deleteMany removes the keys and counts those that existed', async () => {
      await store.putMany([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      expect(await store.deleteMany(['a', 'c', 'missing'])).toBe(2);
      expect(await store.rangeGet('')).toEqual([['b', 2]]);
    });
  });
}
