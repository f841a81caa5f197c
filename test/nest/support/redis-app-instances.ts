import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { KvStoreModule } from '../../../lib/index.js';
import { LOOPBACK } from '../../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../../support/shared-redis/shared-servers.js';

/**
 * Returns a factory of app instances on the shared redis-server (each with its own key prefix): each
 * call boots one app with its own store connection and its own KvCacheService (as two pods would
 * have), closed after each test.
 */
export function redisAppInstances(
  providers: Provider[],
): (keyPrefix: string) => Promise<TestingModule> {
  let redis: SharedServer | undefined;
  const apps: TestingModule[] = [];
  beforeAll(async () => {
    redis = sharedStandalone();
  }, 30_000);
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  return async (keyPrefix) => {
    const app = await Test.createTestingModule({
      imports: [
        KvStoreModule.forRoot({ type: 'redis', host: LOOPBACK, port: redis?.port, keyPrefix }),
      ],
      providers,
    }).compile();
    await app.init();
    apps.push(app);
    return app;
  };
}
