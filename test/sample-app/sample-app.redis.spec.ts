import { startRedis, type RedisProcess } from '../support/redis-harness.js';
import { runSampleAppE2e } from './sample-app.e2e.js';

let redis: RedisProcess | undefined;

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await redis?.stop();
});

runSampleAppE2e('redis', () => ({
  KV_STORE_TYPE: 'redis',
  KV_REDIS_URL: `redis://127.0.0.1:${redis?.port}`,
  KV_KEY_PREFIX: 'sample-e2e:',
  KV_REDIS_TIMEOUT: '2',
}));
