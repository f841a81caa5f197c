import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { KvStoreModule } from '../../../lib/index.js';
import { LOOPBACK, startRedis, type RedisProcess } from '../../support/redis-harness.js';

/**
 * Registers a redis-server for the spec file and returns a factory of app instances on it: each
 * call boots one app with its own store connection and its own KvCacheService (as two pods would
 * have), closed after each test.
 */
export function redisAppInstances(
  providers: Provider[],
): (keyPrefix: string) => Promise<TestingModule> {
  let redis: RedisProcess | undefined;
  const apps: TestingModule[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await redis?.stop();
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
