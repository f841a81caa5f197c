import { afterAll, describe, expect, it } from '@jest/globals';
import {
  InvalidArgumentError,
  InvalidOptionsError,
  KvCache,
  MemoryStore,
  type GetOrSetOptions,
} from '../../lib/index.js';
import { runCacheScenarios } from './support/cache-scenarios.js';
import { runLoaderContextSuite } from './support/loader-context-suite.js';
import { getOrSetOver } from './support/subjects.js';

runCacheScenarios('KvCache.getOrSet on the memory store', (options, load) =>
  Promise.resolve(getOrSetOver(new MemoryStore(), options, load)),
);

runLoaderContextSuite('memory store', () => Promise.resolve(new MemoryStore()));

describe('KvCache options', () => {
  const store = new MemoryStore();
  const cache = new KvCache(store);
  afterAll(() => store.close());

  it.each([
    ['grace', { ttl: 60, grace: -1 }],
    ['grace', { grace: 60 }],
    ['graceBackoff', { ttl: 60, graceBackoff: 5 }],
    ['graceBackoff', { ttl: 60, grace: 60, graceBackoff: 'soon' }],
    ['softTimeout', { softTimeout: 0 }],
    ['hardTimeout', { hardTimeout: Number.NaN }],
    ['softTimeout', { softTimeout: 2, hardTimeout: 1 }],
    ['ttl', { ttl: -5 }],
    ['condition', { condition: 'yes' }],
    ['colour', { colour: 'red' }],
    // Longer than a timer can wait, a function without arguments to call it with, and entries no
    // store could keep: each would fail on every call.
    ['hardTimeout', { hardTimeout: { days: 30 } }],
    ['softTimeout', { softTimeout: { days: 25 }, ttl: 60, grace: 60 }],
    ['lockWait', { lockWait: { days: 30 } }],
    ['tags', { ttl: 60, tags: (id: string) => [`user:${id}`] }],
    ['grace', { ttl: { days: 365 * 60 }, grace: { days: 365 * 60 } }],
    ['staleWhileRevalidate', { ttl: { days: 365 * 60 }, staleWhileRevalidate: { days: 365 * 60 } }],
  ])(
    'rejects a bad %s with InvalidOptionsError naming it, before running the loader',
    async (name, options) => {
      let runs = 0;
      const error = await cache
        .getOrSet(
          'k',
          () => {
            runs++;
            return 1;
          },
          options as unknown as GetOrSetOptions<number>,
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toContain(name);
      expect(runs).toBe(0);
      expect(await store.exists('k')).toBe(false);
    },
  );

  it("accepts a hardTimeout of a timer's longest wait (about 24.8 days)", async () => {
    expect(await cache.getOrSet('long', () => 1, { hardTimeout: 2_147_483 })).toBe(1);
  });

  it('rejects a cache built without a store with InvalidArgumentError', () => {
    expect(() => new KvCache(undefined as unknown as MemoryStore)).toThrow(InvalidArgumentError);
    expect(() => new KvCache(undefined as unknown as MemoryStore)).toThrow(/store/);
  });

  it('rejects a bad key or loader with InvalidArgumentError', async () => {
    await expect(cache.getOrSet('', () => 1)).rejects.toThrow(InvalidArgumentError);
    await expect(cache.getOrSet('k', 'not a function' as unknown as () => number)).rejects.toThrow(
      /loader/,
    );
  });

  it.each([
    ['heldEntries', { heldEntries: -1 }],
    ['heldBytes', { heldBytes: 1.5 }],
    ['logger', { logger: {} }],
    ['flavour', { flavour: 1 }],
  ])('rejects a bad cache option %s with InvalidOptionsError naming it', (name, options) => {
    expect(() => new KvCache(store, options as never)).toThrow(InvalidOptionsError);
    expect(() => new KvCache(store, options as never)).toThrow(name);
  });

  it('delete forgets a key, so the next call runs the loader', async () => {
    let runs = 0;
    const load = () => cache.getOrSet('deleted', () => ++runs, { ttl: 60 });
    expect(await load()).toBe(1);
    expect(await cache.delete('deleted')).toBe(true);
    expect(await load()).toBe(2);
  });
});
