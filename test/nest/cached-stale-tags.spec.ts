import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  Cached,
  type CachedOptions,
  InvalidArgumentError,
  InvalidOptionsError,
  KvCacheService,
  KvStore,
  KvStoreModule,
} from '../../lib/index.js';
import { sleep } from '../support/sleep.js';

/** A profile service whose upstream is slow, counted, and can be made to fail. */
@Injectable()
class ProfileService {
  runs = 0;
  failing = false;
  /** When set, `profile` and `name` wait for it before answering. */
  gate: Promise<void> | undefined;

  @Cached({ ttl: 0.3, staleWhileRevalidate: 30 })
  async profile(id: number): Promise<{ id: number; run: number }> {
    const run = ++this.runs;
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('upstream down');
    return { id, run };
  }

  @Cached<[number], string>({ ttl: 100, jitter: 0.2 })
  async jittered(id: number): Promise<string> {
    this.runs++;
    return `v${id}`;
  }

  @Cached<[number], string>({ ttl: 60, tags: (id) => [`user:${id}`] })
  async name(id: number): Promise<string> {
    this.runs++;
    if (this.gate) await this.gate;
    return `name ${id} #${this.runs}`;
  }

  @Cached<[number], string[]>({ ttl: 60, tags: ['orders'] })
  async orders(id: number): Promise<string[]> {
    this.runs++;
    return [`order of ${id} #${this.runs}`];
  }

  @Cached<[number], string>({ ttl: 60, tags: (id) => (id < 0 ? [''] : [`user:${id}`]) })
  async badTags(id: number): Promise<string> {
    return String(id);
  }
}

const apps: TestingModule[] = [];

/** Polls `check` every 20 ms for up to 5 s. */
async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await sleep(20);
  }
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(): Promise<{
  profiles: ProfileService;
  cache: KvCacheService;
  store: KvStore;
}> {
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot({ type: 'memory' })],
    providers: [ProfileService],
  }).compile();
  await app.init();
  apps.push(app);
  return {
    profiles: app.get(ProfileService),
    cache: app.get(KvCacheService),
    store: app.get(KvStore),
  };
}

describe('@Cached staleWhileRevalidate', () => {
  it('answers from the stale entry at once after the ttl and refreshes it once in the background', async () => {
    const { profiles, cache } = await start();
    const written = Date.now();
    expect(await profiles.profile(1)).toEqual({ id: 1, run: 1 });
    await sleep(Math.max(0, written + 300 + 300 - Date.now()));
    // The refresh cannot finish before the gate opens: the stale answers did not wait for it.
    let open: () => void = () => undefined;
    profiles.gate = new Promise((resolve) => (open = resolve));
    const stale = await Promise.all(Array.from({ length: 20 }, () => profiles.profile(1)));
    expect(stale.every((value) => value.run === 1)).toBe(true);
    expect(profiles.runs).toBe(2);
    open();
    profiles.gate = undefined;
    await waitFor(async () => (await profiles.profile(1)).run === 2);
    expect(profiles.runs).toBe(2);
    const stats = cache.getCachedStats();
    expect(stats).toMatchObject({ misses: 1, refreshes: 1, refreshFailures: 0, hits: 1 });
    // The 20 calls above, and any poll of waitFor that came before the refresh landed.
    expect(stats.staleServed).toBeGreaterThanOrEqual(20);
  });

  it('keeps serving the old value when a refresh fails, and counts and logs the failure', async () => {
    const { profiles, cache } = await start();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await profiles.profile(2);
      await sleep(600);
      profiles.failing = true;
      expect(await profiles.profile(2)).toEqual({ id: 2, run: 1 });
      await waitFor(() => cache.getCachedStats().refreshFailures === 1);
      expect(await profiles.profile(2)).toEqual({ id: 2, run: 1 });
      expect(cache.getCachedStats()).toMatchObject({ refreshFailures: 1, staleServed: 2 });
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'ProfileService.profile: refresh of "cached:ProfileService.profile:[2]" failed, the stale entry stays: upstream down',
        ),
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('@Cached jitter', () => {
  it('spreads the TTLs of entries written together within ±jitter of the ttl', async () => {
    const { profiles, cache, store } = await start();
    await Promise.all(Array.from({ length: 40 }, (_, i) => profiles.jittered(i)));
    const ttls = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.ttl(cache.keyFor(ProfileService, 'jittered', i))),
    );
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThanOrEqual(79);
      expect(ttl).toBeLessThanOrEqual(120);
    }
    // 40 draws over a 40-second span: nearly all differ at second resolution.
    expect(new Set(ttls.map((ttl) => Math.round(ttl as number))).size).toBeGreaterThan(10);
  });
});

describe('@Cached tags', () => {
  it('invalidateTags drops every entry of a tag, across methods, and leaves the others', async () => {
    const { profiles, cache } = await start();
    await profiles.name(1);
    await profiles.name(2);
    await profiles.orders(1);
    expect(await cache.invalidateTags('user:1', 'orders')).toBe(2);
    const runs = profiles.runs;
    expect(await profiles.name(2)).toBe('name 2 #2');
    expect(profiles.runs).toBe(runs);
    await profiles.name(1);
    await profiles.orders(1);
    expect(profiles.runs).toBe(runs + 2);
    expect(await cache.invalidateTags('nobody')).toBe(0);
  });

  it('keeps a result out of the cache when its tag is invalidated while the method runs', async () => {
    const { profiles, cache } = await start();
    let open: () => void = () => undefined;
    profiles.gate = new Promise((resolve) => (open = resolve));
    const running = profiles.name(5);
    await sleep(50);
    await cache.invalidateTags('user:5');
    open();
    expect(await running).toBe('name 5 #1');
    profiles.gate = undefined;
    expect(await profiles.name(5)).toBe('name 5 #2');
  });

  it('rejects a call whose tags function returns a bad tag, and invalidateTags of a bad tag', async () => {
    const { profiles, cache } = await start();
    await expect(profiles.badTags(-1)).rejects.toThrow(
      'the @Cached tags function of ProfileService.badTags returned tags[0] must be a string of 1 to 1000 characters; got ""',
    );
    await expect(cache.invalidateTags('')).rejects.toThrow(InvalidArgumentError);
    await expect(cache.invalidateTags('a\u0000b')).rejects.toThrow('U+0000');
  });
});

describe('@Cached multi-instance options', () => {
  const cases: Array<[string, CachedOptions<never[], never>, string]> = [
    ['jitter of 1', { ttl: 10, jitter: 1 }, 'jitter must be a number from 0 to below 1'],
    ['negative jitter', { ttl: 10, jitter: -0.1 }, 'jitter must be a number from 0 to below 1'],
    ['jitter without a ttl', { jitter: 0.1 }, 'jitter needs a ttl'],
    [
      'staleWhileRevalidate with ttl null',
      { ttl: null, staleWhileRevalidate: 5 },
      'staleWhileRevalidate needs a ttl',
    ],
    [
      'staleWhileRevalidate of 0',
      { ttl: 1, staleWhileRevalidate: 0 },
      'staleWhileRevalidate must be a positive',
    ],
    ['negative lockWait', { lockWait: -1 }, 'lockWait must be a positive'],
    ['leaseTtl of two hours', { leaseTtl: { hours: 2 } }, 'leaseTtl must be at most 3600 seconds'],
    [
      'leaseMaxLifetime of two days',
      { leaseMaxLifetime: { days: 2 } },
      'leaseMaxLifetime must be at most 86400 seconds',
    ],
    ['leaseMaxLifetime of 0', { leaseMaxLifetime: 0 }, 'leaseMaxLifetime must be a positive'],
    ['an empty tag', { tags: ['ok', ''] }, 'tags[1] must be a string of 1 to 1000 characters'],
    [
      'tags as a string',
      { tags: 'user' as unknown as string[] },
      'tags must be an array of strings',
    ],
  ];
  it.each(cases)(
    'rejects %s with InvalidOptionsError naming the method and option',
    (_, options, message) => {
      const decorate = (): void => {
        class Broken {
          async method(): Promise<number> {
            return 1;
          }
        }
        const descriptor = Object.getOwnPropertyDescriptor(Broken.prototype, 'method');
        Cached(options)(Broken.prototype, 'method', descriptor as PropertyDescriptor);
      };
      expect(decorate).toThrow(InvalidOptionsError);
      expect(decorate).toThrow(`@Cached on Broken.method: ${message}`);
    },
  );

  it('accepts lockWait 0 (never wait for other instances) and durations', () => {
    class Fine {
      async method(): Promise<number> {
        return 1;
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(
      Fine.prototype,
      'method',
    ) as PropertyDescriptor;
    expect(() =>
      Cached({
        ttl: { minutes: 1 },
        staleWhileRevalidate: { seconds: 30 },
        lockWait: 0,
        leaseTtl: 2,
        jitter: 0,
      })(Fine.prototype, 'method', descriptor),
    ).not.toThrow();
  });
});

describe('@Cached tags and invalidate', () => {
  it('invalidate of one call also removes its tag rows', async () => {
    const { profiles, cache, store } = await start();
    await profiles.name(3);
    expect(await store.rangeGet('cached-tag:user:3\u0000')).toHaveLength(1);
    expect(await cache.invalidate(ProfileService, 'name', 3)).toBe(true);
    expect(await store.rangeGet('cached-tag:user:3\u0000')).toEqual([]);
  });
});
