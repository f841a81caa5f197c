import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KvCache, MemoryStore } from '../../lib/index.js';
import { pointsOf, pointWith, startTestSdk, type TestSdk } from '../support/otel-harness.js';
import { sleep } from '../support/sleep.js';
import { quietLogger } from '../cache/support/subjects.js';

describe('getOrSet telemetry', () => {
  let sdk: TestSdk;
  let store: MemoryStore;

  beforeEach(() => {
    sdk = startTestSdk();
    store = new MemoryStore();
  });

  afterEach(async () => {
    await store.close();
    await sdk.stop();
  });

  const outcomesOf = (name: string) =>
    sdk
      .spans()
      .filter((span) => span.name === `cached ${name}`)
      .map((span) => span.attributes['kv.cached.outcome']);

  it('each call has a span named after the cache, with its outcome, as @Cached calls do', async () => {
    const cache = new KvCache(store, { name: 'profiles' });
    await cache.getOrSet('p:1', () => 'Ada', { ttl: 60 });
    await cache.getOrSet('p:1', () => 'Ada', { ttl: 60 });
    expect(outcomesOf('profiles')).toEqual(['miss', 'hit']);
  });

  it('a value served within grace after the loader failed is reported as the outcome grace', async () => {
    const cache = new KvCache(store, { logger: quietLogger });
    const options = { ttl: 0.3, grace: 60 };
    await cache.getOrSet('p:2', () => 'Ada', options);
    await sleep(400);
    const served = await cache.getOrSet(
      'p:2',
      () => Promise.reject(new Error('origin down')),
      options,
    );
    expect(served).toBe('Ada');
    expect(outcomesOf('getOrSet')).toEqual(['miss', 'grace']);
    const calls = pointsOf(await sdk.collect(), 'kv.cached.calls');
    const grace = pointWith(calls, {
      'kv.cached.method': 'getOrSet',
      'kv.cached.outcome': 'grace',
    });
    expect(grace?.value).toBe(1);
  });
});
