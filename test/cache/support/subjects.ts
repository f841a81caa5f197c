import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cached,
  type CachedOptions,
  type GetOrSetOptions,
  KvCache,
  KvCacheService,
  KvStoreModule,
  type KvStore,
} from '../../../lib/index.js';
import type { CacheSubject, ScenarioOptions } from './cache-scenarios.js';

/** Loggers for tests that provoke warnings on purpose. */
export const quietLogger = { warn: (): void => undefined };

/** `KvCache.getOrSet` over `store`; closing the subject closes the store. */
export function getOrSetOver(
  store: KvStore,
  options: ScenarioOptions,
  load: (key: string) => Promise<unknown>,
): CacheSubject {
  const cache = new KvCache(store, { logger: quietLogger });
  return {
    call: (key) => cache.getOrSet(key, () => load(key), options as GetOrSetOptions<unknown>),
    stats: () => cache.getStats().methods['getOrSet'],
    close: () => store.close(),
  };
}

/** A provider whose one method is cached with `options` and runs its loader. */
function providerWith(options: ScenarioOptions) {
  @Injectable()
  class ScenarioService {
    load: (key: string) => Promise<unknown> = () => Promise.resolve(undefined);

    @Cached(options as CachedOptions<[string], unknown>)
    async value(key: string): Promise<unknown> {
      return this.load(key);
    }
  }
  return ScenarioService;
}

/** A `@Cached` method in a Nest app over `store` (the default store when omitted). */
export async function cachedOver(
  store: KvStore | undefined,
  options: ScenarioOptions,
  load: (key: string) => Promise<unknown>,
): Promise<CacheSubject> {
  const Service = providerWith(options);
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot(store === undefined ? {} : { store })],
    providers: [Service],
  }).compile();
  await app.init();
  const service = app.get(Service);
  service.load = load;
  return {
    call: (key) => service.value(key),
    stats: () => app.get(KvCacheService).getCachedStats().methods['ScenarioService.value'],
    close: async () => {
      await app.close();
      await store?.close();
    },
  };
}

/** `KvCacheService.getOrSet` in a Nest app on the in-memory default store. */
export async function serviceGetOrSet(
  options: ScenarioOptions,
  load: (key: string) => Promise<unknown>,
): Promise<CacheSubject> {
  const app = await Test.createTestingModule({ imports: [KvStoreModule.forRoot()] }).compile();
  await app.init();
  const cache = app.get(KvCacheService);
  return {
    call: (key) => cache.getOrSet(key, () => load(key), options as GetOrSetOptions<unknown>),
    stats: () => cache.getCachedStats().methods['getOrSet'],
    close: () => app.close(),
  };
}
