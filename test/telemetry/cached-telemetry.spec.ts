import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Cached, KvCacheService, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { pointsOf, pointWith, startTestSdk, type TestSdk } from '../support/otel-harness.js';
import { uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';
import { sleep } from '../support/sleep.js';

/** A lookup that is slow enough for concurrent callers to overlap. */
@Injectable()
class ProfileService {
  calls = 0;

  @Cached(60)
  async profile(id: number): Promise<{ id: number; name: string }> {
    this.calls++;
    await sleep(50);
    if (id < 0) throw new Error('no such profile');
    return { id, name: `user ${id}` };
  }
}

/** A cached method that calls another one: each call gets its own span. */
@Injectable()
class PageService {
  constructor(private readonly profiles: ProfileService) {}

  @Cached({ ttl: 60, store: 'pages' })
  async page(id: number): Promise<string> {
    const profile = await this.profiles.profile(id);
    return `<h1>${profile.name}</h1>`;
  }
}

/** A price that may be served stale for a minute while it is fetched again. */
@Injectable()
class PriceService {
  calls = 0;

  @Cached({ ttl: 0.4, staleWhileRevalidate: 60 })
  async price(sku: string): Promise<number> {
    this.calls++;
    return sku.length * 100 + this.calls;
  }
}

async function boot(store: StoreOptions, pages: StoreOptions): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot(store), KvStoreModule.forRoot({ ...pages, name: 'pages' })],
    providers: [ProfileService, PageService, PriceService],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the refresh');
    await sleep(10);
  }
}

function childrenOf(spans: ReadableSpan[], parent: ReadableSpan | undefined): string[] {
  return spans
    .filter((span) => span.parentSpanContext?.spanId === parent?.spanContext().spanId)
    .map((span) => span.name);
}

function runCachedTelemetryCases(label: string, options: () => StoreOptions): void {
  // On Redis a miss takes the key's lease and reads the key once more before computing
  // (docs/multi-instance.md): one more kv.get under the miss.
  const missReads = label === 'redis' ? ['kv.get', 'kv.get'] : ['kv.get'];
  describe(`@Cached telemetry on the ${label} store`, () => {
    let sdk: TestSdk;
    let moduleRef: TestingModule | undefined;

    beforeEach(() => {
      sdk = startTestSdk();
    });

    afterEach(async () => {
      await moduleRef?.close();
      moduleRef = undefined;
      await sdk.stop();
    });

    it('a miss, then a hit: each call has a span with its outcome, parenting its store spans', async () => {
      moduleRef = await boot(options(), options());
      const profiles = moduleRef.get(ProfileService);
      await profiles.profile(1);
      await profiles.profile(1);
      const spans = sdk.spans();
      const calls = spans.filter((span) => span.name === 'cached ProfileService.profile');
      expect(calls.map((span) => span.attributes['kv.cached.outcome'])).toEqual(['miss', 'hit']);
      expect(calls[0]?.attributes['kv.cached.method']).toBe('ProfileService.profile');
      expect(childrenOf(spans, calls[0])).toEqual([...missReads, 'kv.put']);
      expect(childrenOf(spans, calls[1])).toEqual(['kv.get']);
    });

    it('concurrent callers of one key: one miss and coalesced calls, counted per method', async () => {
      moduleRef = await boot(options(), options());
      const profiles = moduleRef.get(ProfileService);
      await Promise.all([profiles.profile(2), profiles.profile(2), profiles.profile(2)]);
      await profiles.profile(2);
      expect(profiles.calls).toBe(1);
      const outcomes = sdk
        .spans()
        .filter((span) => span.name === 'cached ProfileService.profile')
        .map((span) => span.attributes['kv.cached.outcome']);
      expect(outcomes.sort()).toEqual(['coalesced', 'coalesced', 'hit', 'miss']);
      const calls = pointsOf(await sdk.collect(), 'kv.cached.calls');
      const count = (outcome: string) =>
        pointWith(calls, {
          'kv.cached.method': 'ProfileService.profile',
          'kv.cached.outcome': outcome,
          'kv.store.name': 'default',
        })?.value;
      expect([count('miss'), count('coalesced'), count('hit')]).toEqual([1, 2, 1]);
      expect(moduleRef.get(KvCacheService).getCachedStats().methods).toEqual({
        'ProfileService.profile': {
          hits: 1,
          misses: 1,
          coalesced: 2,
          errors: 0,
          staleServed: 0,
          refreshes: 0,
          refreshFailures: 0,
          lockWaits: 0,
          lockTimeouts: 0,
        },
      });
    });

    it('an entry served stale while it is refreshed is reported as stale on the span and the counter', async () => {
      moduleRef = await boot(options(), options());
      const prices = moduleRef.get(PriceService);
      const written = Date.now();
      const first = await prices.price('abc');
      // Past the ttl (0.4 s) and well inside staleWhileRevalidate.
      await sleep(Math.max(0, written + 600 - Date.now()));
      expect(await prices.price('abc')).toBe(first);
      await waitFor(() => prices.calls === 2);
      const outcomes = sdk
        .spans()
        .filter((span) => span.name === 'cached PriceService.price')
        .map((span) => span.attributes['kv.cached.outcome']);
      expect(outcomes).toEqual(['miss', 'stale']);
      const calls = pointsOf(await sdk.collect(), 'kv.cached.calls');
      expect(
        pointWith(calls, {
          'kv.cached.method': 'PriceService.price',
          'kv.cached.outcome': 'stale',
          'kv.store.name': 'default',
        })?.value,
      ).toBe(1);
    });

    it('a nested @Cached call is a child span of the outer one, with its own outcome', async () => {
      moduleRef = await boot(options(), options());
      await moduleRef.get(PageService).page(3);
      const spans = sdk.spans();
      const page = spans.find((span) => span.name === 'cached PageService.page');
      const profile = spans.find((span) => span.name === 'cached ProfileService.profile');
      expect(page?.attributes['kv.cached.outcome']).toBe('miss');
      expect(profile?.attributes['kv.cached.outcome']).toBe('miss');
      expect(childrenOf(spans, page)).toEqual([
        ...missReads,
        'cached ProfileService.profile',
        'kv.put',
      ]);
      expect(page?.attributes['kv.store.name']).toBe('pages');
      expect(profile?.attributes['kv.store.name']).toBe('default');
    });

    it('a method that rejects marks its span as failed with the error class', async () => {
      moduleRef = await boot(options(), options());
      await expect(moduleRef.get(ProfileService).profile(-1)).rejects.toThrow('no such profile');
      const call = sdk.spans().find((span) => span.name === 'cached ProfileService.profile');
      expect(call?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error' });
      expect(call?.attributes['error.type']).toBe('Error');
    });

    it('telemetry: false on the module emits no @Cached or store telemetry for that store', async () => {
      moduleRef = await boot({ ...options(), telemetry: false }, options());
      const profiles = moduleRef.get(ProfileService);
      await profiles.profile(4);
      await profiles.profile(4);
      // The other store ('pages') still reports, its boot-time ping for one.
      expect(sdk.spans().filter((span) => span.attributes['kv.store.name'] !== 'pages')).toEqual(
        [],
      );
      const collected = await sdk.collect();
      expect(pointsOf(collected, 'kv.cached.calls')).toEqual([]);
      expect(
        pointsOf(collected, 'db.client.operation.duration').filter(
          (point) => point.attributes['kv.store.name'] === 'default',
        ),
      ).toEqual([]);
    });
  });
}

runCachedTelemetryCases('memory', () => ({ type: 'memory' }));

describe('on Redis', () => {
  let redis: SharedServer;

  beforeAll(async () => {
    redis = sharedStandalone();
  });

  runCachedTelemetryCases('redis', () => ({
    type: 'redis',
    port: redis.port,
    keyPrefix: uniquePrefix('otel-cached'),
  }));
});
