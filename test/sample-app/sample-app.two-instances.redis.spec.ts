import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../sample-app/src/app.module.js';
import { startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

// Two instances of the sample app on one Redis, as two pods behind a load balancer would run.
let redis: RedisProcess | undefined;
const instances: INestApplication[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    KV_STORE_TYPE: 'redis',
    KV_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    KV_KEY_PREFIX: uniquePrefix('sample-two'),
    KV_REDIS_TIMEOUT: '2',
    // A frontier batch takes 500 ms to compute, so requests to both instances overlap.
    FRONTIER_COMPUTE_DELAY_MS: '500',
  };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  for (let i = 0; i < 2; i++) {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    instances.push(app);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((app) => app.close()));
  await redis?.stop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function frontierStats(app: INestApplication): Promise<Record<string, number>> {
  const { body } = await request(app.getHttpServer()).get('/stats').expect(200);
  return body.cached.methods['FrontierProvider.nextUrls'] ?? {};
}

describe('sample app: two instances on one Redis', () => {
  it('computes a cold frontier batch once for 20 concurrent requests to each instance', async () => {
    const responses = await Promise.all(
      instances.flatMap((app) =>
        Array.from({ length: 20 }, () =>
          request(app.getHttpServer())
            .get('/frontier/next')
            .query({ domain: 'cold.example', limit: 3 })
            .expect(200),
        ),
      ),
    );
    for (const response of responses) {
      expect(response.body.urls).toEqual([
        'https://cold.example/page/1',
        'https://cold.example/page/2',
        'https://cold.example/page/3',
      ]);
    }
    const [a, b] = await Promise.all(instances.map(frontierStats));
    // One computation in all: one instance ran it, the other waited for its result.
    expect((a?.misses ?? 0) + (b?.misses ?? 0)).toBe(1);
    expect((a?.lockWaits ?? 0) + (b?.lockWaits ?? 0)).toBe(1);
    expect((a?.coalesced ?? 0) + (b?.coalesced ?? 0)).toBe(38);
  });

  it('a claim on one instance drops the cached batch on the other', async () => {
    const [a, b] = instances as [INestApplication, INestApplication];
    const next = (app: INestApplication) =>
      request(app.getHttpServer())
        .get('/frontier/next')
        .query({ domain: 'claimed.example', limit: 2 })
        .expect(200);
    expect((await next(b)).body.urls).toEqual([
      'https://claimed.example/page/1',
      'https://claimed.example/page/2',
    ]);
    await request(a.getHttpServer())
      .post('/frontier/claim')
      .send({ url: 'https://claimed.example/page/1', worker: 'w1' })
      .expect(200);
    expect((await next(b)).body.urls).toEqual([
      'https://claimed.example/page/2',
      'https://claimed.example/page/3',
    ]);
  });
});
