import { InvalidOptionsError, MemoryStore, createStore, withStore } from '../../lib/index.js';
import { sleep } from '../support/sleep.js';

function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('MemoryStore', () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  function open(options: ConstructorParameters<typeof MemoryStore>[0] = {}): MemoryStore {
    const store = new MemoryStore(options);
    stores.push(store);
    return store;
  }

  describe('active expiry', () => {
    it('frees expired keys that nobody reads, on its own timer', async () => {
      const store = open({ sweepInterval: 0.01 });
      await store.putMany(
        Array.from({ length: 2000 }, (_, i) => [`session:${i}`, { i }] as const),
        { ttl: 0.05 },
      );
      await store.put('permanent', 1);
      await sleep(400);
      const stats = await store.getStats();
      expect(stats.expirations).toBe(2000);
      expect(stats.totalKeys).toBe(1);
      expect(stats.expiringKeys).toBe(0);
    });

    it('sweeps in bounded rounds that together free every expired key', async () => {
      const clock = manualClock();
      const store = open({ now: clock.now, sweepInterval: 3600 });
      await store.putMany(
        Array.from({ length: 10_000 }, (_, i) => [`k:${i}`, i] as const),
        { ttl: 1 },
      );
      await store.putMany(
        Array.from({ length: 100 }, (_, i) => [`later:${i}`, i] as const),
        { ttl: 100 },
      );
      clock.advance(1001);
      let rounds = 0;
      while ((await store.getStats()).expirations < 10_000 && rounds < 1000) {
        store.sweepExpired();
        rounds++;
      }
      const stats = await store.getStats();
      expect(stats.expirations).toBe(10_000);
      expect(stats.totalKeys).toBe(100);
      expect(rounds).toBeGreaterThan(0);
    });

    it('frees an expired key when it is read, and a range read skips it', async () => {
      const clock = manualClock();
      const store = open({ now: clock.now });
      await store.put('a', 1, { ttl: 10 });
      await store.put('b', 2);
      clock.advance(10_000);
      expect(await store.rangeGet('')).toEqual([['b', 2]]);
      expect(await store.get('a')).toBeUndefined();
      expect((await store.getStats()).expirations).toBe(1);
    });

    it('reports a TTL that shrinks as the clock moves', async () => {
      const clock = manualClock();
      const store = open({ now: clock.now });
      await store.put('k', 1, { ttl: { minutes: 2 } });
      clock.advance(30_000);
      expect(await store.ttl('k')).toBe(90);
    });

    it('its timer never keeps the process alive, and close() stops it', async () => {
      const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const store = open();
      await store.put('k', 1, { ttl: 60 });
      const during = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      expect(during).toBe(before);
      await store.close();
      expect(store.isClosed).toBe(true);
    });
  });

  describe('maxEntries (LRU cache)', () => {
    it('evicts the least recently used entry beyond maxEntries', async () => {
      const store = open({ maxEntries: 3 });
      await store.put('a', 1);
      await store.put('b', 2);
      await store.put('c', 3);
      await store.get('a'); // a is now the most recently used
      await store.put('d', 4);
      expect(await store.exists('b')).toBe(false);
      expect((await store.rangeGet('')).map(([k]) => k)).toEqual(['a', 'c', 'd']);
      const stats = await store.getStats();
      expect(stats.evictions).toBe(1);
      expect(stats.maxEntries).toBe(3);
      expect(stats.totalKeys).toBe(3);
    });

    it('an overwrite counts as a use and never evicts', async () => {
      const store = open({ maxEntries: 2 });
      await store.put('a', 1);
      await store.put('b', 2);
      await store.put('a', 10);
      await store.put('c', 3);
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([10, undefined, 3]);
    });
  });

  describe('options', () => {
    it.each([
      [{ maxEntries: 0 }, /maxEntries must be a positive integer; got 0/],
      [{ maxEntries: 1.5 }, /maxEntries must be a positive integer/],
      [{ sweepInterval: -1 }, /sweepInterval must be a positive number of seconds/],
      [{ now: 5 }, /now must be a function/],
      [{ serializer: 'yaml' }, /serializer must be 'json', 'rich', 'pickle'/],
      [{ defaultTtl: -5 }, /defaultTtl must be a positive/],
      [{ maxEntriez: 5 }, /unknown option "maxEntriez"; valid options are serializer, defaultTtl/],
    ])('rejects %p with a clear InvalidOptionsError', (options, message) => {
      expect(() => new MemoryStore(options as never)).toThrow(message);
      expect(() => new MemoryStore(options as never)).toThrow(InvalidOptionsError);
    });
  });

  describe('createStore and withStore', () => {
    it('createStore() gives the in-memory store', async () => {
      const store = createStore();
      expect(store).toBeInstanceOf(MemoryStore);
      expect(store.backend).toBe('memory');
      await store.close();
    });

    it('an unknown type lists the valid ones', () => {
      expect(() => createStore({ type: 'mongo' } as never)).toThrow(
        /Unknown store type "mongo"; valid types are 'memory'/,
      );
    });

    it('withStore closes the store even when the work throws', async () => {
      let seen: MemoryStore | undefined;
      await expect(
        withStore({ type: 'memory' }, async (store) => {
          seen = store as MemoryStore;
          await store.put('k', 1);
          throw new Error('work failed');
        }),
      ).rejects.toThrow('work failed');
      expect(seen?.isClosed).toBe(true);
      expect(await withStore({}, async (store) => (await store.increment('n')) + 1)).toBe(2);
    });
  });
});
