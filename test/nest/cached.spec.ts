import { jest } from '@jest/globals';
import { Injectable, Logger, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  Cached,
  type CachedOptions,
  getKvStoreToken,
  InvalidArgumentError,
  InvalidOptionsError,
  KvCacheService,
  KvStore,
  KvStoreModule,
  type Ttl,
} from '../../lib/index.js';
import { sleep } from '../support/sleep.js';

interface Page {
  url: string;
  links: string[];
}

/** A crawler frontier whose lookups are slow and counted. */
@Injectable()
class FrontierService {
  readonly calls: unknown[][] = [];
  failNext = false;

  @Cached(60)
  async linksOf(
    url: string,
    options: { depth: number; follow: boolean } = { depth: 1, follow: true },
  ): Promise<Page> {
    this.calls.push([url, options]);
    await sleep(5);
    if (this.failNext) {
      this.failNext = false;
      throw new Error(`cannot fetch ${url}`);
    }
    return { url, links: [`${url}/a`, `${url}/b`] };
  }

  @Cached({ ttl: 0.5 })
  async shortLived(id: number): Promise<number> {
    this.calls.push([id]);
    return id * 2;
  }

  @Cached<[string], string[]>({ condition: (result) => result.length > 0 })
  async search(term: string): Promise<string[]> {
    this.calls.push([term]);
    return term === 'none' ? [] : [term];
  }

  @Cached()
  async maybe(id: string): Promise<string | undefined> {
    this.calls.push([id]);
    return id === 'missing' ? undefined : id;
  }

  @Cached({ key: (user: { id: number; name: string }) => `user-${user.id}` })
  async profile(user: { id: number; name: string }): Promise<string> {
    this.calls.push([user]);
    return user.name;
  }

  @Cached({ store: 'pages', ttl: { minutes: 5 } })
  async page(url: string): Promise<string> {
    this.calls.push([url]);
    return `<html>${url}</html>`;
  }

  @Cached()
  async withCallback(callback: () => void): Promise<string> {
    callback();
    return 'done';
  }

  // @ts-expect-error -- @Cached only types-checks on methods returning a Promise
  @Cached()
  notAsync(id: number): number {
    this.calls.push([id]);
    return id;
  }
}

/** The method as the class defines it, before any app wrapped anything. */
const definedLinksOf = FrontierService.prototype.linksOf;

const opened: TestingModule[] = [];
async function start(
  providers: NonNullable<Parameters<typeof Test.createTestingModule>[0]['providers']> = [
    FrontierService,
  ],
  defaultStore: Parameters<typeof KvStoreModule.forRoot>[0] = {},
): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot(defaultStore), KvStoreModule.forRoot({ name: 'pages' })],
    providers,
  }).compile();
  opened.push(app);
  await app.init();
  return app;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

describe('@Cached', () => {
  it('answers a repeated call from the store without running the method again', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const first = await frontier.linksOf('https://a.example');
    const second = await frontier.linksOf('https://a.example');
    expect(second).toEqual(first);
    expect(frontier.calls).toHaveLength(1);
    await frontier.linksOf('https://b.example');
    expect(frontier.calls).toHaveLength(2);
  });

  it('builds the key from class, method and arguments; object key order does not matter', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    await frontier.linksOf('u', { depth: 2, follow: false });
    await frontier.linksOf('u', { follow: false, depth: 2 });
    expect(frontier.calls).toHaveLength(1);
    const cache = app.get(KvCacheService);
    expect(cache.keyFor(FrontierService, 'linksOf', 'u', { follow: false, depth: 2 })).toBe(
      'cached:FrontierService.linksOf:["u",{"depth":2,"follow":false}]',
    );
    expect(
      await app
        .get(KvStore)
        .exists(cache.keyFor(FrontierService, 'linksOf', 'u', { depth: 2, follow: false })),
    ).toBe(true);
  });

  it('treats a trailing undefined argument like a missing one', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    await frontier.linksOf('u');
    await frontier.linksOf('u', undefined);
    expect(frontier.calls).toHaveLength(1);
  });

  it('answers from the store until the TTL runs out, then runs the method again', async () => {
    // The store's clock, moved by hand: neither call depends on how fast this machine is.
    let now = Date.now();
    const app = await start([FrontierService], { now: () => now });
    const frontier = app.get(FrontierService);
    expect(await frontier.shortLived(2)).toBe(4);
    now += 499;
    expect(await frontier.shortLived(2)).toBe(4);
    expect(frontier.calls).toHaveLength(1);
    now += 251;
    expect(await frontier.shortLived(2)).toBe(4);
    expect(frontier.calls).toHaveLength(2);
  });

  it('forgets results after their TTL on the real clock', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    expect(await frontier.shortLived(2)).toBe(4);
    await sleep(750);
    expect(await frontier.shortLived(2)).toBe(4);
    expect(frontier.calls).toHaveLength(2);
  });

  it('caches only results the condition accepts', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    await frontier.search('none');
    await frontier.search('none');
    await frontier.search('nest');
    await frontier.search('nest');
    expect(frontier.calls).toEqual([['none'], ['none'], ['nest']]);
  });

  it('never caches a rejection: the next call runs the method again', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    frontier.failNext = true;
    await expect(frontier.linksOf('x')).rejects.toThrow('cannot fetch x');
    await expect(frontier.linksOf('x')).resolves.toMatchObject({ url: 'x' });
    await frontier.linksOf('x');
    expect(frontier.calls).toHaveLength(2);
  });

  it('does not cache undefined results (stores cannot hold undefined); null or values are cached', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    expect(await frontier.maybe('missing')).toBeUndefined();
    expect(await frontier.maybe('missing')).toBeUndefined();
    expect(await frontier.maybe('here')).toBe('here');
    expect(await frontier.maybe('here')).toBe('here');
    expect(frontier.calls).toEqual([['missing'], ['missing'], ['here']]);
  });

  it('runs the method once for 100 concurrent calls on a cold key', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => frontier.linksOf('https://cold.example')),
    );
    expect(frontier.calls).toHaveLength(1);
    expect(new Set(results.map((page) => page.url))).toEqual(new Set(['https://cold.example']));
    const stats = app.get(KvCacheService).getCachedStats();
    expect(stats).toMatchObject({ misses: 1, coalesced: 99, hits: 0, errors: 0 });
  });

  it('shares a rejection with the concurrent callers, then lets the next call retry', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    frontier.failNext = true;
    const settled = await Promise.allSettled([frontier.linksOf('f'), frontier.linksOf('f')]);
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(frontier.linksOf('f')).resolves.toMatchObject({ url: 'f' });
    expect(frontier.calls).toHaveLength(2);
  });

  it('uses the key function for the argument part of the key', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    expect(await frontier.profile({ id: 1, name: 'Ada' })).toBe('Ada');
    expect(await frontier.profile({ id: 1, name: 'renamed' })).toBe('Ada');
    expect(frontier.calls).toHaveLength(1);
    expect(app.get(KvCacheService).keyFor(FrontierService, 'profile', { id: 1, name: '' })).toBe(
      'cached:FrontierService.profile:user-1',
    );
  });

  it('caches in the named store given by store', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    await frontier.page('/home');
    const pages = app.get<KvStore>(getKvStoreToken('pages'));
    expect(await pages.rangeGet('cached:FrontierService.page:')).toEqual([
      ['cached:FrontierService.page:["/home"]', '<html>/home</html>'],
    ]);
    expect(await pages.ttl('cached:FrontierService.page:["/home"]')).toBeGreaterThan(290);
    expect(await app.get(KvStore).rangeGet('cached:FrontierService.page:')).toEqual([]);
  });

  it('rejects a call whose arguments have no stable encoding, naming the key function as the fix', async () => {
    const app = await start();
    await expect(app.get(FrontierService).withCallback(() => undefined)).rejects.toThrow(
      /function has no stable encoding; give @Cached a key function/,
    );
  });

  it('rejects the first call of a method that does not return a Promise', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const call = frontier.notAsync(1) as unknown as Promise<number>;
    await expect(call).rejects.toThrow(InvalidOptionsError);
    await expect(frontier.notAsync(1) as unknown as Promise<number>).rejects.toThrow(
      '@Cached on FrontierService.notAsync: the method returned 1 instead of a Promise',
    );
  });

  it('counts hits, misses and coalesced calls per method, with zero for what did not happen', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    await Promise.all([frontier.shortLived(1), frontier.shortLived(1)]);
    await frontier.shortLived(1);
    await frontier.search('a');
    const none = {
      staleServed: 0,
      refreshes: 0,
      refreshFailures: 0,
      lockWaits: 0,
      lockTimeouts: 0,
    };
    expect(app.get(KvCacheService).getCachedStats()).toEqual({
      hits: 1,
      misses: 2,
      coalesced: 1,
      errors: 0,
      ...none,
      methods: {
        'FrontierService.shortLived': { hits: 1, misses: 1, coalesced: 1, errors: 0, ...none },
        'FrontierService.search': { hits: 0, misses: 1, coalesced: 0, errors: 0, ...none },
      },
    });
  });

  it('calls through and counts an error when the store fails, instead of failing the call', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await app.get(KvStore).close();
      expect(await frontier.shortLived(3)).toBe(6);
      expect(await frontier.shortLived(3)).toBe(6);
      expect(frontier.calls).toHaveLength(2);
      expect(app.get(KvCacheService).getCachedStats().errors).toBe(4);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('cache read of'));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('invalidation with KvCacheService', () => {
  it('forgets one call', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const cache = app.get(KvCacheService);
    await frontier.linksOf('a');
    await frontier.linksOf('b');
    expect(await cache.invalidate(FrontierService, 'linksOf', 'a')).toBe(true);
    expect(await cache.invalidate(FrontierService, 'linksOf', 'a')).toBe(false);
    await frontier.linksOf('a');
    await frontier.linksOf('b');
    expect(frontier.calls.map(([url]) => url)).toEqual(['a', 'b', 'a']);
  });

  it('forgets every call of one method and nothing else', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const cache = app.get(KvCacheService);
    await Promise.all(['a', 'b', 'c'].map((url) => frontier.linksOf(url)));
    await frontier.shortLived(1);
    expect(await cache.invalidateAll(FrontierService, 'linksOf')).toBe(3);
    await frontier.linksOf('a');
    await frontier.shortLived(1);
    expect(frontier.calls).toHaveLength(5);
  });

  it('keeps a call that was in flight during the invalidation from writing its stale result', async () => {
    const app = await start();
    const frontier = app.get(FrontierService);
    const cache = app.get(KvCacheService);
    const running = frontier.linksOf('slow');
    await cache.invalidateAll(FrontierService, 'linksOf');
    await running;
    await frontier.linksOf('slow');
    expect(frontier.calls).toHaveLength(2);
  });

  it('refuses methods that are not decorated', async () => {
    const app = await start();
    class Plain {
      async load(): Promise<number> {
        return 1;
      }
    }
    await expect(app.get(KvCacheService).invalidateAll(Plain, 'load')).rejects.toThrow(
      new InvalidArgumentError('Plain.load is not a method decorated with @Cached'),
    );
  });
});

describe('which providers are cached', () => {
  it('wraps each app instance, never the shared prototype: two apps do not share state', async () => {
    const one = await start();
    const two = await start();
    await one.get(FrontierService).linksOf('x');
    await two.get(FrontierService).linksOf('x');
    expect(one.get(FrontierService).calls).toHaveLength(1);
    expect(two.get(FrontierService).calls).toHaveLength(1);
    expect(one.get(KvCacheService).getCachedStats().misses).toBe(1);
    expect(FrontierService.prototype.linksOf).toBe(definedLinksOf);
    expect(one.get(FrontierService).linksOf).not.toBe(two.get(FrontierService).linksOf);
    const bare = new FrontierService();
    await bare.linksOf('x');
    await bare.linksOf('x');
    expect(bare.calls).toHaveLength(2);
  });

  it('wraps transient providers and providers built by factories', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    class TransientFrontier extends FrontierService {}
    @Injectable()
    class UsesTransient {
      constructor(readonly frontier: TransientFrontier) {}
    }
    const app = await start([
      UsesTransient,
      TransientFrontier,
      { provide: 'FACTORY_FRONTIER', useFactory: () => new FrontierService() },
    ]);
    const transient = app.get(UsesTransient).frontier;
    await transient.shortLived(1);
    await transient.shortLived(1);
    expect(transient.calls).toHaveLength(1);
    const built = app.get<FrontierService>('FACTORY_FRONTIER');
    await built.shortLived(1);
    await built.shortLived(1);
    expect(built.calls).toHaveLength(1);
  });

  it('leaves request-scoped providers uncached and logs a warning naming them', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequestFrontier extends FrontierService {}
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const app = await start([PerRequestFrontier]);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('PerRequestFrontier is request-scoped'),
      );
      const frontier = await app.resolve(PerRequestFrontier);
      await frontier.shortLived(1);
      await frontier.shortLived(1);
      expect(frontier.calls).toHaveLength(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('fails the boot when a @Cached method names a store that is not registered', async () => {
    @Injectable()
    class Orphan {
      @Cached({ store: 'nowhere' })
      async load(): Promise<number> {
        return 1;
      }
    }
    const app = await Test.createTestingModule({
      imports: [KvStoreModule.forRoot()],
      providers: [Orphan],
    }).compile();
    await expect(app.init()).rejects.toThrow(
      '@Cached on Orphan.load uses store "nowhere", which no KvStoreModule.forRoot/forRootAsync registers (registered: the default store)',
    );
    // Nest 11's close() rethrows the failed boot's error and runs no shutdown hook; Nest 12's
    // closes the application.
    await app.close().catch((error: unknown) => {
      if (!(error instanceof InvalidOptionsError)) throw error;
    });
  });
});

describe('@Cached options', () => {
  it('are checked when the class is defined', () => {
    const define = (options: Ttl | CachedOptions) => () => {
      class Broken {
        @Cached(options as CachedOptions)
        async load(): Promise<number> {
          return 1;
        }
      }
      return Broken;
    };
    expect(define(-1)).toThrow(
      '@Cached on Broken.load: ttl must be a positive, finite number of seconds; got -1',
    );
    expect(define({ tll: 5 } as never)).toThrow(/unknown duration unit "tll"/);
    expect(define({ ttl: 5, stroe: 'x' } as never)).toThrow(
      '@Cached on Broken.load: unknown option stroe; valid options are ttl, key, store, condition',
    );
    expect(define({ store: '' })).toThrow(/non-empty string/);
    expect(define({ minutes: 1 })).not.toThrow();
    expect(define(null)).not.toThrow();
  });
});
