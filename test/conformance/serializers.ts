import { DeserializationError, type KvStore, SerializationError } from '../../lib/index.js';
import type { ConformanceContext } from './conformance-context.js';

/** The contract, area serializers: json, rich and custom serializers. */
export function serializerTests({ open, current }: ConformanceContext): void {
  let store: KvStore;
  beforeEach(() => {
    store = current();
  });

  describe('serializers', () => {
    it('the rich serializer (and its alias pickle) round-trips what JSON loses', async () => {
      const value = {
        date: new Date('2024-01-02T03:04:05.678Z'),
        map: new Map<unknown, unknown>([[1, { a: new Set(['x']) }]]),
        set: new Set([1, 'two']),
        big: 2n ** 70n,
        regex: /fetch-(\d+)/giu,
        floats: new Float64Array([1.5, -0]),
        bytes: Buffer.from('héllo'),
        missing: undefined,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        ninf: Number.NEGATIVE_INFINITY,
        negZero: -0,
      };
      for (const serializer of ['rich', 'pickle'] as const) {
        const rich = await open({ serializer });
        await rich.put('rich', value);
        const back = await rich.get<typeof value>('rich');
        expect(back).toEqual(value);
        // Jest runs tests in a separate realm, so check the type tag rather than instanceof.
        expect(Object.prototype.toString.call(back?.date)).toBe('[object Date]');
        expect(Buffer.isBuffer(back?.bytes)).toBe(true);
        expect(Object.is(back?.negZero, -0)).toBe(true);
        expect(back && 'missing' in back).toBe(true);
        expect(await rich.increment('counter', 2)).toBe(2);
        expect(await rich.get('counter')).toBe(2);
        await rich.put('negzero', -0);
        expect(Object.is(await rich.get('negzero'), -0)).toBe(true);
        await rich.put('big', 10n);
        expect(await rich.get('big')).toBe(10n);
        expect(await rich.rangeGet('big')).toEqual([['big', 10n]]);
      }
    });

    it('rejects what JSON cannot represent with a SerializationError naming the key', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const bad: Array<[string, unknown]> = [
        ['bigint', 1n],
        ['circular', circular],
        ['function', () => 1],
        ['symbol', Symbol('s')],
      ];
      for (const [key, value] of bad) {
        const error = await store.put(key, value).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).message).toContain(`"${key}"`);
        expect(await store.exists(key)).toBe(false);
      }
    });

    it('rejects undefined as a value under every serializer', async () => {
      const rich = await open({ serializer: 'rich' });
      for (const s of [store, rich]) {
        await expect(s.put('k', undefined)).rejects.toThrow(/undefined cannot be stored/);
        expect(await s.exists('k')).toBe(false);
      }
    });

    it('uses a custom { serialize, deserialize } serializer', async () => {
      const custom = await open({
        serializer: {
          name: 'upper',
          serialize: (value) => String(value).toUpperCase(),
          deserialize: (raw) => `decoded:${String(raw)}`,
        },
      });
      await custom.put('k', 'hello');
      expect(await custom.get('k')).toBe('decoded:HELLO');
      expect((await custom.getStats()).serializer).toBe('upper');
    });

    it('a value that does not decode rejects with a DeserializationError naming the key', async () => {
      const picky = await open({
        serializer: {
          serialize: (value) => JSON.stringify(value),
          deserialize: (raw) => {
            const text = String(raw);
            if (text.includes('poison')) throw new Error('unreadable');
            return JSON.parse(text) as unknown;
          },
        },
      });
      await picky.put('bad', 'poison');
      await picky.put('good', 'fine');
      const error = await picky.get('bad').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeserializationError);
      expect((error as DeserializationError).key).toBe('bad');
      expect((error as Error).message).toMatch(/"bad".*unreadable/);
      await expect(picky.rangeGet('')).rejects.toBeInstanceOf(DeserializationError);
      expect(await picky.get('good')).toBe('fine');
    });
  });
}
