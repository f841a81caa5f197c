import {
  DeserializationError,
  InvalidArgumentError,
  KvStore,
  KvStoreError,
  NotANumberError,
  SerializationError,
  StoreClosedError,
  type CommonStoreOptions,
} from '../../lib/index.js';
import { sleep } from '../support/sleep.js';
import { describeIncrementContract } from './increment.conformance.js';

/** The shortest TTL the suite uses: long enough for a loaded 2-core machine to write and read. */
const SHORT_TTL_SECONDS = 0.3;

/**
 * Waits until a key written (the write resolved) just before the call, with SHORT_TTL_SECONDS,
 * has expired, with a margin for timer and server clock granularity.
 */
function sleepPastTtl(): Promise<void> {
  return sleep(SHORT_TTL_SECONDS * 1000 + 250);
}

/** Creates a fresh, empty store for one test; the suite closes it afterwards. */
export type StoreFactory = (options: CommonStoreOptions) => KvStore | Promise<KvStore>;

/**
 * The whole `KvStore` contract, written once and run against every backend and topology:
 * `runKvStoreConformance('memory', (options) => new MemoryStore(options))`.
 */
export function runKvStoreConformance(label: string, factory: StoreFactory): void {
  describe(`KvStore contract: ${label}`, () => {
    const opened: KvStore[] = [];
    async function open(options: CommonStoreOptions = {}): Promise<KvStore> {
      const store = await factory(options);
      opened.push(store);
      return store;
    }
    let store: KvStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) {
        if (!s.isClosed) await s.clear();
        await s.close();
      }
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

    describe('TTL', () => {
      it('expires a key after its TTL in seconds, and a duration works the same', async () => {
        const before = Date.now();
        await store.put('short', 'x', { ttl: SHORT_TTL_SECONDS });
        await store.put('duration', 'y', { ttl: { milliseconds: SHORT_TTL_SECONDS * 1000 } });
        await store.put('long', 'z', { ttl: { minutes: 1 } });
        const read = await store.get('short');
        // Only a read that finished before the TTL could have run out must see the value.
        if (Date.now() - before < SHORT_TTL_SECONDS * 1000) expect(read).toBe('x');
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
        expect((await store.rangeGet('k:\uff61', 'k:😀')).map(([key]) => key)).toEqual([
          'k:\uff61',
        ]);
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

    describeIncrementContract(() => store, open);

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
        await expect(store.putIfAbsent('k', 1, options)).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
        await expect(store.putMany([['k', 1]], options)).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
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
  });
}
