import { types } from 'node:util';
import {
  MemoryStore,
  RedisStore,
  SerializationError,
  copyStore,
  type CopyProgress,
  type KvStore,
  type SerializerName,
} from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

const stores: KvStore[] = [];
function track<T extends KvStore>(store: T): T {
  stores.push(store);
  return store;
}
function memory(serializer: SerializerName = 'json', now?: () => number): MemoryStore {
  return track(new MemoryStore({ serializer, sweepInterval: 3600, ...(now ? { now } : {}) }));
}
afterEach(async () => {
  for (const store of stores.splice(0)) {
    if (store instanceof RedisStore) await store.clear();
    await store.close();
  }
});

/** Expects the target's remaining TTL of `key` to match the source's within a second. */
async function expectSameTtl(source: KvStore, target: KvStore, key: string): Promise<void> {
  const [want, got] = await Promise.all([source.ttl(key), target.ttl(key)]);
  if (want === null || want === undefined) {
    expect(got).toBe(want);
    return;
  }
  expect(got).toBeDefined();
  expect(got).not.toBeNull();
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(1);
  // Relative TTLs can only gain the latency of the write: milliseconds, never seconds.
  expect(got as number).toBeLessThanOrEqual(want + 0.25);
}

describe('copyStore between memory stores', () => {
  it('copies values and remaining TTLs in batches and reports progress', async () => {
    const source = memory();
    for (let i = 0; i < 25; i++) {
      await source.put(
        `k${String(i).padStart(2, '0')}`,
        { i },
        i % 2 === 0 ? { ttl: 100 + i } : undefined,
      );
    }
    const target = memory();
    const seen: CopyProgress[] = [];
    const result = await copyStore(source, target, {
      batchSize: 10,
      onProgress: (p) => seen.push(p),
    });
    expect(result).toEqual({ copied: 25, skipped: 0, total: 25 });
    expect(seen.map((p) => p.copied)).toEqual([10, 20, 25]);
    expect(seen.every((p) => p.total === 25)).toBe(true);
    for (let i = 0; i < 25; i++) {
      const key = `k${String(i).padStart(2, '0')}`;
      expect(await target.get(key)).toEqual({ i });
      await expectSameTtl(source, target, key);
    }
  });

  it('keeps existing target keys (counted as skipped) unless overwrite is set', async () => {
    const source = memory();
    await source.putMany([
      ['a', 'new'],
      ['b', 'new'],
    ]);
    const target = memory();
    await target.put('a', 'old', { ttl: 500 });
    expect(await copyStore(source, target)).toMatchObject({ copied: 1, skipped: 1 });
    expect(await target.get('a')).toBe('old');
    expect(await copyStore(source, target, { overwrite: true })).toMatchObject({
      copied: 2,
      skipped: 0,
    });
    expect(await target.get('a')).toBe('new');
    // Overwriting applies the source's TTL: none.
    expect(await target.ttl('a')).toBeNull();
  });

  it('copies only a prefix or a range', async () => {
    const source = memory();
    await source.putMany([
      ['user:1', 1],
      ['user:2', 2],
      ['order:1', 3],
    ]);
    const byPrefix = memory();
    expect(await copyStore(source, byPrefix, { prefix: 'user:' })).toEqual({
      copied: 2,
      skipped: 0,
    });
    expect((await byPrefix.rangeGet('')).map(([k]) => k)).toEqual(['user:1', 'user:2']);
    const byRange = memory();
    await copyStore(source, byRange, { range: { start: 'order:', end: 'user:2' } });
    expect((await byRange.rangeGet('')).map(([k]) => k)).toEqual(['order:1', 'user:1']);
    await expect(
      copyStore(source, byRange, { prefix: 'a', range: { start: 'a', end: 'b' } }),
    ).rejects.toThrow(/cannot be combined/);
  });

  it('skips keys that expire during the copy instead of writing them with a wrong TTL', async () => {
    let clock = 1_000_000;
    const source = memory('json', () => clock);
    await source.put('lasting', 1);
    await source.put('fleeting', 2, { ttl: 5 });
    // The clock jumps past the expiry after the keys were listed and before their TTLs are read.
    const ttl = source.ttl.bind(source);
    source.ttl = async (key: string) => {
      clock += 10_000;
      return ttl(key);
    };
    const target = memory();
    expect(await copyStore(source, target)).toEqual({ copied: 1, skipped: 1, total: 2 });
    expect(await target.exists('fleeting')).toBe(false);
  });

  it('refuses values the target json serializer would change, before writing their batch', async () => {
    const source = memory('rich');
    await source.put('a', 1);
    await source.put('b', { at: new Date(0) });
    const target = memory('json');
    const error = await copyStore(source, target, { batchSize: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/key "b".*a Date at \$\.at/);
    expect(await target.get('a')).toBe(1);
    expect(await target.exists('b')).toBe(false);
  });

  it('stops between batches when its signal is aborted', async () => {
    const source = memory();
    await source.putMany(
      Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i] as const),
    );
    const controller = new AbortController();
    const target = memory();
    const error = await copyStore(source, target, {
      batchSize: 10,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect((await target.getStats()).totalKeys).toBe(10);
  });
});

describe('copyStore with Redis', () => {
  let first: RedisProcess;
  let second: RedisProcess;
  beforeAll(async () => {
    [first, second] = await Promise.all([startRedis(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });
  function redis(server: RedisProcess, serializer: SerializerName = 'json'): RedisStore {
    return track(
      new RedisStore({
        url: `redis://${LOOPBACK}:${server.port}`,
        keyPrefix: uniquePrefix('copy'),
        serializer,
        timeout: 5,
      }),
    );
  }

  it('memory → Redis keeps values and remaining TTLs (within a second)', async () => {
    const source = memory();
    const entries = Array.from(
      { length: 1200 },
      (_, i) => [`item:${String(i).padStart(4, '0')}`, { i, tags: ['x'] }] as const,
    );
    await source.putMany(entries.slice(0, 400));
    await source.putMany(entries.slice(400, 800), { ttl: 30 });
    for (const [key, value] of entries.slice(800))
      await source.put(key, value, { ttl: 60 + Math.random() * 600 });
    const target = redis(first);
    expect(await copyStore(source, target)).toEqual({ copied: 1200, skipped: 0, total: 1200 });
    expect(await target.getMany(entries.map(([k]) => k))).toEqual(entries.map(([, v]) => v));
    for (const key of [
      'item:0000',
      'item:0399',
      'item:0400',
      'item:0799',
      'item:0800',
      'item:1000',
      'item:1199',
    ]) {
      await expectSameTtl(source, target, key);
    }
    expect((await target.getStats()).expiringKeys).toBe(800);
  });

  it('Redis → Redis keeps rich values (Dates, BigInt) and remaining TTLs across servers', async () => {
    const source = redis(first, 'rich');
    await source.put('when', new Date('2026-11-29T00:00:00Z'), { ttl: 45 });
    await source.put('big', 2n ** 70n);
    await source.put('counter', 41, { ttl: 300 });
    const target = redis(second, 'rich');
    expect(await copyStore(source, target)).toMatchObject({ copied: 3, skipped: 0 });
    const when = await target.get('when');
    expect(types.isDate(when)).toBe(true);
    expect(when).toEqual(new Date('2026-11-29T00:00:00Z'));
    expect(await target.get('big')).toBe(2n ** 70n);
    expect(await target.increment('counter')).toBe(42);
    for (const key of ['when', 'big', 'counter']) await expectSameTtl(source, target, key);
  });

  it('Redis → Redis on one server between prefixes, without touching existing keys', async () => {
    const source = redis(first);
    await source.putMany(
      [
        ['a', 1],
        ['b', 2],
      ],
      { ttl: 120 },
    );
    const target = redis(first);
    await target.put('a', 'kept');
    expect(await copyStore(source, target)).toMatchObject({ copied: 1, skipped: 1 });
    expect(await target.getMany(['a', 'b'])).toEqual(['kept', 2]);
    await expectSameTtl(source, target, 'b');
  });
});
