import { MemoryStore } from '../../lib/index.js';

/** A clock the test moves by hand, so expiry needs no waiting. */
function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('MemoryStore with maxEntries: which entry makes room', () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  function open(options: ConstructorParameters<typeof MemoryStore>[0]): MemoryStore {
    // A sweep interval of an hour: only the store's own eviction frees anything here.
    const store = new MemoryStore({ sweepInterval: 3600, ...options });
    stores.push(store);
    return store;
  }

  it('frees an expired entry to make room before it evicts any live entry', async () => {
    const clock = manualClock();
    const store = open({ maxEntries: 3, now: clock.now });
    await store.put('oldest-live', 'kept');
    await store.put('session', 'short-lived', { ttl: 1 });
    await store.put('newer-live', 'kept too');
    clock.advance(2000);

    await store.put('incoming', 'new');

    expect(await store.get('oldest-live')).toBe('kept');
    expect(await store.get('newer-live')).toBe('kept too');
    expect(await store.get('incoming')).toBe('new');
    const stats = await store.getStats();
    expect(stats.totalKeys).toBe(3);
    expect(stats.evictions).toBe(0);
    expect(stats.expirations).toBe(1);
  });

  it('evicts the least recently used live entry once no expired entry is left', async () => {
    const clock = manualClock();
    const store = open({ maxEntries: 2, now: clock.now });
    await store.put('a', 1, { ttl: 1 });
    await store.put('b', 2);
    clock.advance(2000);
    await store.put('c', 3); // frees the expired a
    await store.put('d', 4); // no expired entry left: evicts b, the least recently used

    expect(await store.get('b')).toBeUndefined();
    expect(await store.getMany(['c', 'd'])).toEqual([3, 4]);
    const stats = await store.getStats();
    expect(stats.expirations).toBe(1);
    expect(stats.evictions).toBe(1);
  });

  it('keeps evicting live entries in LRU order when entries are rewritten with new TTLs', async () => {
    const clock = manualClock();
    const store = open({ maxEntries: 3, now: clock.now });
    for (let round = 0; round < 50; round++) {
      await store.put('refreshed', round, { ttl: 1 });
      clock.advance(100);
    }
    await store.put('x', 1);
    await store.put('y', 2);
    await store.put('z', 3); // nothing has expired: evicts 'refreshed', the least recently used

    expect(await store.get('refreshed')).toBeUndefined();
    expect(await store.getMany(['x', 'y', 'z'])).toEqual([1, 2, 3]);
    expect((await store.getStats()).evictions).toBe(1);
  });

  it('counts an entry returned by rangeGet as used: it is not the next one evicted', async () => {
    const store = open({ maxEntries: 2 });
    await store.put('a', 1);
    await store.put('b', 2);
    expect(await store.rangeGet('a', 'b')).toEqual([['a', 1]]);

    await store.put('c', 3);

    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe(1);
  });

  it('counts an entry returned by iterate as used: it is not the next one evicted', async () => {
    const store = open({ maxEntries: 2 });
    await store.put('a', 1);
    await store.put('b', 2);
    const seen: string[] = [];
    for await (const [key] of store.iterate('a', 'b')) seen.push(key);
    expect(seen).toEqual(['a']);

    await store.put('c', 3);

    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe(1);
  });

  it('does not count entries a range skipped or did not reach as used', async () => {
    const store = open({ maxEntries: 3 });
    await store.put('a', 1);
    await store.put('b', 2);
    await store.put('c', 3);
    expect(await store.rangeGet('', undefined, { limit: 1 })).toEqual([['a', 1]]);

    await store.put('d', 4);

    expect(await store.get('b')).toBeUndefined();
    expect(await store.getMany(['a', 'c', 'd'])).toEqual([1, 3, 4]);
  });
});
