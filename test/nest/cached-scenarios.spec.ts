import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cached,
  type CachedOptions,
  type GetOrSetOptions,
  KvCacheService,
  KvStoreModule,
} from '../../lib/index.js';
import { runCacheScenarios, type ScenarioOptions } from '../cache/support/cache-scenarios.js';

/** A provider whose one method is cached with the scenario's options and runs its loader. */
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

runCacheScenarios('@Cached', async (options, load) => {
  const Service = providerWith(options);
  const app = await Test.createTestingModule({
    imports: [KvStoreModule.forRoot()],
    providers: [Service],
  }).compile();
  await app.init();
  const service = app.get(Service);
  service.load = load;
  return {
    call: (key) => service.value(key),
    stats: () => app.get(KvCacheService).getCachedStats().methods['ScenarioService.value'],
    close: () => app.close(),
  };
});

runCacheScenarios('KvCacheService.getOrSet', async (options, load) => {
  const app = await Test.createTestingModule({ imports: [KvStoreModule.forRoot()] }).compile();
  await app.init();
  const cache = app.get(KvCacheService);
  return {
    call: (key) => cache.getOrSet(key, () => load(key), options as GetOrSetOptions<unknown>),
    stats: () => cache.getCachedStats().methods['getOrSet'],
    close: () => app.close(),
  };
});
