import { afterEach, describe, expect, it } from '@jest/globals';
import { StoreAvailability } from '../../lib/cache/store-availability.js';
import { ConnectionError, KvCache, MemoryStore } from '../../lib/index.js';
import { sleep } from '../support/sleep.js';
import { quietLogger } from './support/subjects.js';

/**
 * A memory store whose reads can fail as a Redis that cannot be reached does, and whose reads
 * can answer late with what the store held when they were issued.
 */
class FlakyStore extends MemoryStore {
  down = false;
  readDelayMs = 0;
  override async get<T = unknown>(key: string): Promise<T | undefined> {
    if (this.down) throw new ConnectionError('the store cannot be reached');
    const value = await super.get<T>(key);
    if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    return value;
  }
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not true within ${ms} ms`);
    await sleep(10);
  }
}

const stores: MemoryStore[] = [];
function flakyStore(): FlakyStore {
  const store = new FlakyStore();
  stores.push(store);
  return store;
}
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('held copies and invalidations', () => {
  it('does not serve a held copy once a read found the key deleted by another instance', async () => {
    const store = flakyStore();
    const a = new KvCache(store, { logger: quietLogger });
    const b = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 60, grace: 300, graceBackoff: 0 };
    expect(await a.getOrSet('user:1', () => 'old', opts)).toBe('old');
    await b.delete('user:1');
    // A reads the key, finds it gone; its loader fails, so nothing new is held.
    await expect(
      a.getOrSet('user:1', () => Promise.reject(new Error('origin down')), opts),
    ).rejects.toThrow('origin down');
    store.down = true;
    expect(await a.getOrSet('user:1', () => 'fresh', opts)).toBe('fresh');
  });

  it('does not hold again a value read before this instance deleted it', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 60, grace: 300, graceBackoff: 0 };
    await cache.getOrSet('user:1', () => 'old', opts);
    store.readDelayMs = 300;
    const lateRead = cache.getOrSet('user:1', () => 'unused', opts);
    await sleep(50);
    await cache.delete('user:1');
    await lateRead;
    store.readDelayMs = 0;
    store.down = true;
    expect(await cache.getOrSet('user:1', () => 'fresh', opts)).toBe('fresh');
  });

  it('does not keep or share a result loaded while Redis was away after invalidateTags', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 60, grace: 300, tags: ['t'] };
    store.down = true;
    const first = cache.getOrSet(
      'k',
      async () => {
        await sleep(300);
        return 'old';
      },
      opts,
    );
    await sleep(50);
    await cache.invalidateTags('t');
    expect(await cache.getOrSet('k', () => 'new', opts)).toBe('new');
    expect(await first).toBe('old');
    expect(await cache.getOrSet('k', () => 'unused', opts)).toBe('new');
  });
});

describe('when Redis answers again', () => {
  it('stops serving held copies as soon as any call of the cache gets an answer', async () => {
    const store = flakyStore();
    const a = new KvCache(store, { logger: quietLogger });
    const b = new KvCache(store, { logger: quietLogger });
    const graced = { ttl: 60, grace: 300 };
    await a.getOrSet('k', () => 'v1', graced);
    await a.getOrSet('plain', () => 'x', { ttl: 60 });
    store.down = true;
    expect(await a.getOrSet('k', () => 'unused', graced)).toBe('v1');
    store.down = false;
    await b.delete('k');
    await b.getOrSet('k', () => 'v2', graced);
    // A read (a hit) of a call site without grace, well before the first probe (1 s).
    expect(await a.getOrSet('plain', () => 'unused', { ttl: 60 })).toBe('x');
    expect(await a.getOrSet('k', () => 'unused', graced)).toBe('v2');
  });

  it('probes a store that stays away every 2 s at most, so it is noticed within 2 s of answering', () => {
    const availability = new StoreAvailability();
    availability.failed(0);
    let now = 0;
    const backAt = 32_000;
    for (; now < 120_000; now += 100) {
      if (!availability.shouldProbe(now)) continue;
      if (now < backAt) availability.failed(now);
      else break;
    }
    expect(now - backAt).toBeLessThanOrEqual(2000);
  });
});

describe('loader runs', () => {
  it('lets the next call run the loader when a run hangs past its hardTimeout', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 60, hardTimeout: 0.3 };
    await expect(cache.getOrSet('k', () => new Promise<number>(() => {}), opts)).rejects.toThrow(
      'hardTimeout',
    );
    let runs = 0;
    const second = await cache.getOrSet(
      'k',
      () => {
        runs++;
        return 2;
      },
      opts,
    );
    expect([second, runs]).toEqual([2, 1]);
  });

  it('does not refresh a stale entry while its failed loader rests in graceBackoff', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 0.3, staleWhileRevalidate: 10, grace: 60, graceBackoff: 10 };
    await cache.getOrSet('k', () => 'v0', opts);
    await sleep(350);
    let runs = 0;
    const failing = (): Promise<string> => {
      runs++;
      return Promise.reject(new Error('origin down'));
    };
    for (let i = 0; i < 5; i++) {
      expect(await cache.getOrSet('k', failing, opts)).toBe('v0');
      await sleep(30);
    }
    expect(runs).toBe(1);
  });

  it('lets a call past staleWhileRevalidate join the refresh running for its key', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 0.3, staleWhileRevalidate: 0.3, grace: 60 };
    let release = (): void => undefined;
    const origin = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let mostAtOnce = 0;
    const slow = async (): Promise<string> => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await origin;
      running--;
      return 'v1';
    };
    await cache.getOrSet('k', () => 'v0', opts);
    await sleep(350); // stale, within staleWhileRevalidate: starts a refresh held by the origin
    expect(await cache.getOrSet('k', slow, opts)).toBe('v0');
    await sleep(350); // past staleWhileRevalidate, within grace: a load of the key
    const late = cache.getOrSet('k', slow, opts);
    // The late call has either joined the refresh or started a second run.
    await until(() => running === 2 || cache.getStats().methods['getOrSet']?.coalesced === 1);
    release();
    expect(await late).toBe('v1');
    expect(mostAtOnce).toBe(1);
  });

  it('counts the softTimeout from the start of the call, the store read included', async () => {
    const store = flakyStore();
    const cache = new KvCache(store, { logger: quietLogger });
    const opts = { ttl: 0.3, grace: 60, softTimeout: 0.5 };
    await cache.getOrSet('k', () => 'v0', opts);
    await sleep(350);
    store.readDelayMs = 600;
    const started = performance.now();
    let loaded!: () => void;
    const loaderDone = new Promise<void>((resolve) => (loaded = resolve));
    const served = await cache.getOrSet(
      'k',
      async () => {
        // Outlasts the soft timeout whichever way it is counted (read + 500 ms = 1,100 ms).
        await sleep(1000);
        loaded();
        return 'v1';
      },
      opts,
    );
    const tookMs = performance.now() - started;
    expect(served).toBe('v0');
    // From the call's start: about the 600 ms read; counted after the read it would be 1,100 ms.
    expect(tookMs).toBeLessThan(1000);
    store.readDelayMs = 0;
    await loaderDone;
  });
});
