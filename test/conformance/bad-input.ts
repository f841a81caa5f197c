import { InvalidArgumentError, type KvStore, KvStoreError } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';

/** The contract, area bad-input: typed errors for bad keys, TTLs, limits and options. */
export function badInputTests({ factory, current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('bad input', () => {
    const badKeys: Array<[string, unknown, RegExp]> = [
      ['an empty key', '', /must not be empty/],
      ['a number', 42, /must be a string; got 42/],
      ['null', null, /must be a string; got null/],
      ['a key over the maximum length', 'k'.repeat(8193), /maximum is 8192/],
      ['a lone surrogate', 'bad\ud800', /lone UTF-16 surrogate/],
    ];
    it.each(badKeys)(
      'rejects %s as a key with InvalidArgumentError and writes nothing',
      async (_, key, message) => {
        const k = key as string;
        await expect(store.put(k, 1)).rejects.toThrow(message);
        await expect(store.put(k, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.get(k)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.putIfAbsent(k, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.increment(k)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.delete(k)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.getMany([k])).rejects.toBeInstanceOf(InvalidArgumentError);
        expect(await store.rangeGet('')).toEqual([]);
      },
    );

    const badTtls: Array<[string, unknown, RegExp]> = [
      ['zero', 0, /positive, finite/],
      ['negative', -1, /positive, finite/],
      ['NaN', Number.NaN, /positive, finite/],
      ['Infinity', Number.POSITIVE_INFINITY, /positive, finite/],
      ['a string', '10', /number of seconds, a duration object or null/],
      ['an empty duration', {}, /positive, finite/],
      ['a negative duration part', { hours: -1 }, /ttl.hours must be a finite number >= 0/],
      ['an unknown duration unit', { weeks: 1 }, /unknown duration unit "weeks"/],
      ['a TTL over 100 years', 4e9, /at most/],
    ];
    it.each(badTtls)('rejects a TTL that is %s and writes nothing', async (_, ttl, message) => {
      const options = { ttl } as { ttl: number };
      await expect(store.put('k', 1, options)).rejects.toThrow(message);
      await expect(store.put('k', 1, options)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.putIfAbsent('k', 1, options)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.putMany([['k', 1]], options)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.increment('k', 1, options)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await store.exists('k')).toBe(false);
    });

    it('rejects a default TTL that is not positive when the store is created', async () => {
      await expect(Promise.resolve().then(() => factory({ defaultTtl: 0 }))).rejects.toThrow(
        /defaultTtl must be a positive/,
      );
    });

    it.each([0, -1, 1.5, '3', Number.NaN])('rejects limit %p', async (limit) => {
      await store.put('a', 1);
      const options = { limit } as { limit: number };
      await expect(store.rangeGet('', undefined, options)).rejects.toThrow(
        /limit must be a positive integer/,
      );
      await expect(store.iterate('', undefined, options).next()).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    it('rejects bad range bounds', async () => {
      await expect(store.rangeGet(5 as unknown as string)).rejects.toThrow(
        /startKey must be a string/,
      );
      await expect(store.rangeGet('a', '')).rejects.toThrow(/endKey must not be empty/);
      await expect(store.rangeGet('a', 7 as unknown as string)).rejects.toThrow(
        /endKey must be a string/,
      );
    });

    it('rejects unknown options, naming them', async () => {
      const options = { ttl: 1, expire: 5 } as { ttl: number };
      await expect(store.put('k', 1, options)).rejects.toThrow(/unknown option "expire"/);
      await expect(store.rangeGet('', undefined, { max: 1 } as never)).rejects.toThrow(
        /unknown option "max"/,
      );
      expect(await store.exists('k')).toBe(false);
    });

    it('every error is a KvStoreError with a stable code', async () => {
      const error = await store.put('', 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KvStoreError);
      expect((error as KvStoreError).code).toBe('INVALID_ARGUMENT');
    });
  });
}
