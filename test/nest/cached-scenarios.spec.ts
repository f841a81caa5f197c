import { Test } from '@nestjs/testing';
import {
  getKvStoreToken,
  InvalidOptionsError,
  KvCacheService,
  KvStore,
  KvStoreModule,
} from '../../lib/index.js';
import { runCacheScenarios } from '../cache/support/cache-scenarios.js';
import { cachedOver, serviceGetOrSet } from '../cache/support/subjects.js';

runCacheScenarios('@Cached', (options, load) => cachedOver(undefined, options, load));
runCacheScenarios('KvCacheService.getOrSet', serviceGetOrSet);

describe('KvCacheService.getOrSet with a named store', () => {
  it('caches in the store it names, and rejects a store no module registers', async () => {
    const app = await Test.createTestingModule({
      imports: [KvStoreModule.forRoot(), KvStoreModule.forRoot({ name: 'pages' })],
    }).compile();
    await app.init();
    try {
      const cache = app.get(KvCacheService);
      expect(await cache.getOrSet('home', () => '<h1>hi</h1>', { ttl: 60, store: 'pages' })).toBe(
        '<h1>hi</h1>',
      );
      expect(await app.get<KvStore>(getKvStoreToken('pages')).get('home')).toBe('<h1>hi</h1>');
      expect(await app.get(KvStore).get('home')).toBeUndefined();
      await expect(cache.getOrSet('home', () => 1, { store: 'nowhere' })).rejects.toThrow(
        InvalidOptionsError,
      );
    } finally {
      await app.close();
    }
  });
});
