import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../sample-app/src/app.module.js';

/** Environment variables the sample app reads while it boots. */
export type SampleEnv = Record<string, string>;

/**
 * The sample app's endpoints as a user drives them with HTTP, run once per backend:
 * `runSampleAppE2e('memory', () => ({}))`.
 */
export function runSampleAppE2e(label: string, env: () => SampleEnv): void {
  describe(`sample app on the ${label} store`, () => {
    let app: INestApplication;
    const saved: Record<string, string | undefined> = {};

    beforeAll(async () => {
      for (const [name, value] of Object.entries({ UPSTREAM_DELAY_MS: '300', ...env() })) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      // The API-caching example calls the app's own upstream endpoint over HTTP.
      await app.listen(0, '127.0.0.1');
      await request(app.getHttpServer()).get('/stats').expect(200);
    });

    afterAll(async () => {
      await app?.close();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('GET /stats names the backend it runs on', async () => {
      const { body } = await request(app.getHttpServer()).get('/stats').expect(200);
      expect(body.store.backend).toBe(label);
    });

    describe('frontier provider', () => {
      it('hands out next URLs and caches the batch', async () => {
        const first = await request(app.getHttpServer())
          .get('/frontier/next')
          .query({ domain: 'shop.example', limit: 3 })
          .expect(200);
        expect(first.body.urls).toEqual([
          'https://shop.example/page/1',
          'https://shop.example/page/2',
          'https://shop.example/page/3',
        ]);
        const before = (await request(app.getHttpServer()).get('/stats')).body.cached.methods[
          'FrontierProvider.nextUrls'
        ];
        await request(app.getHttpServer())
          .get('/frontier/next')
          .query({ domain: 'shop.example', limit: 3 });
        const after = (await request(app.getHttpServer()).get('/stats')).body.cached.methods[
          'FrontierProvider.nextUrls'
        ];
        expect(after.hits).toBe(before.hits + 1);
      });

      it('lets only the first of two workers claim a URL, ignoring query and fragment', async () => {
        const url = `https://claims.example/item/${Date.now()}`;
        const [a, b] = await Promise.all([
          request(app.getHttpServer())
            .post('/frontier/claim')
            .send({ url: `${url}?utm=1`, worker: 'w1' }),
          request(app.getHttpServer())
            .post('/frontier/claim')
            .send({ url: `${url}#top`, worker: 'w2' }),
        ]);
        expect(a.status).toBe(200);
        expect(b.status).toBe(200);
        expect([a.body.claimed, b.body.claimed].sort()).toEqual([false, true]);
        expect(a.body.baseUrl).toBe(url);
      });

      it('leaves claimed URLs out of the next batch of another domain query', async () => {
        await request(app.getHttpServer())
          .post('/frontier/claim')
          .send({ url: 'https://fresh.example/page/1', worker: 'w1' })
          .expect(200);
        const { body } = await request(app.getHttpServer())
          .get('/frontier/next')
          .query({ domain: 'fresh.example', limit: 2 })
          .expect(200);
        expect(body.urls).toEqual(['https://fresh.example/page/2', 'https://fresh.example/page/3']);
      });

      it('answers 400 to a bad domain, limit or URL', async () => {
        await request(app.getHttpServer())
          .get('/frontier/next')
          .query({ domain: 'bad domain!' })
          .expect(400);
        await request(app.getHttpServer())
          .get('/frontier/next')
          .query({ domain: 'a.example', limit: 0 })
          .expect(400);
        const { body } = await request(app.getHttpServer())
          .post('/frontier/claim')
          .send({ url: 'not a url', worker: 'w1' })
          .expect(400);
        expect(body.message).toMatch(/absolute URL/);
        await request(app.getHttpServer())
          .post('/frontier/claim')
          .send({ url: 'https://a.example/' })
          .expect(400);
      });
    });

    describe('API response caching', () => {
      it('the first call waits for the slow upstream, the second comes from the store', async () => {
        const id = Math.floor(Math.random() * 1e9);
        const first = await request(app.getHttpServer()).get(`/api/users/${id}`).expect(200);
        expect(first.body.user).toMatchObject({ id, name: `User ${id}` });
        expect(first.body.tookMs).toBeGreaterThanOrEqual(250);
        const second = await request(app.getHttpServer()).get(`/api/users/${id}`).expect(200);
        expect(second.body.user).toEqual(first.body.user);
        expect(second.body.tookMs).toBeLessThan(first.body.tookMs);
      });

      it('answers 400 to an id that is not a number', async () => {
        await request(app.getHttpServer()).get('/api/users/abc').expect(400);
      });

      it.each(['99999999999999999999999', '9007199254740992', '0', '-1', '1.5', '1e3', '0x1F'])(
        'answers 400 naming the id to a user id that is not a positive safe integer (%s), not 503',
        async (id) => {
          const { body } = await request(app.getHttpServer()).get(`/api/users/${id}`).expect(400);
          expect(body.message).toMatch(/id must be a positive integer/);
        },
      );
    });

    describe('sessions', () => {
      it('creates, reads and deletes a session that lives 24 hours', async () => {
        const created = await request(app.getHttpServer())
          .post('/sessions')
          .send({ userId: 'u-1', data: { cart: ['book'] } })
          .expect(201);
        expect(created.body.expiresInSeconds).toBe(86_400);
        const read = await request(app.getHttpServer())
          .get(`/sessions/${created.body.id}`)
          .expect(200);
        expect(read.body).toMatchObject({ userId: 'u-1', data: { cart: ['book'] } });
        expect(read.body.expiresInSeconds).toBeGreaterThan(86_390);
        await request(app.getHttpServer()).delete(`/sessions/${created.body.id}`).expect(204);
        await request(app.getHttpServer()).get(`/sessions/${created.body.id}`).expect(404);
        await request(app.getHttpServer()).delete(`/sessions/${created.body.id}`).expect(404);
      });

      it('answers 400 to a malformed body and 404 to an unknown session, without a stack trace', async () => {
        const malformed = await request(app.getHttpServer())
          .post('/sessions')
          .set('content-type', 'application/json')
          .send('{"userId": ')
          .expect(400);
        expect(JSON.stringify(malformed.body)).not.toMatch(/at .*\.(js|ts):\d+/);
        await request(app.getHttpServer()).post('/sessions').send({ data: {} }).expect(400);
        await request(app.getHttpServer())
          .post('/sessions')
          .send({ userId: 'u', data: [1] })
          .expect(400);
        const missing = await request(app.getHttpServer()).get('/sessions/nope').expect(404);
        expect(missing.body.message).toBe('No session nope');
      });
    });

    describe('batch progress', () => {
      it('counts processed and failed items atomically and lists every batch', async () => {
        const { body: batch } = await request(app.getHttpServer())
          .post('/batches')
          .send({ name: 'nightly crawl', total: 100 })
          .expect(201);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            request(app.getHttpServer())
              .post(`/batches/${batch.id}/items`)
              .send({ status: i % 4 === 0 ? 'failed' : 'processed' })
              .expect(200),
          ),
        );
        await request(app.getHttpServer())
          .post(`/batches/${batch.id}/items`)
          .send({ status: 'processed', count: 5 })
          .expect(200);
        const { body: progress } = await request(app.getHttpServer())
          .get(`/batches/${batch.id}`)
          .expect(200);
        expect(progress).toMatchObject({
          name: 'nightly crawl',
          total: 100,
          processed: 20,
          failed: 5,
        });
        const { body: second } = await request(app.getHttpServer())
          .post('/batches')
          .send({ name: 'second' })
          .expect(201);
        const { body: list } = await request(app.getHttpServer()).get('/batches').expect(200);
        const ids = list.map((b: { id: string }) => b.id);
        expect(ids).toEqual(expect.arrayContaining([batch.id, second.id]));
        expect(list.find((b: { id: string }) => b.id === batch.id)).toMatchObject({
          processed: 20,
          failed: 5,
        });
      });

      it('answers 404 for a missing batch and 400 for a bad status or count', async () => {
        await request(app.getHttpServer()).get('/batches/missing').expect(404);
        await request(app.getHttpServer())
          .post('/batches/missing/items')
          .send({ status: 'processed' })
          .expect(404);
        const { body: batch } = await request(app.getHttpServer())
          .post('/batches')
          .send({ name: 'b' })
          .expect(201);
        await request(app.getHttpServer())
          .post(`/batches/${batch.id}/items`)
          .send({ status: 'done' })
          .expect(400);
        await request(app.getHttpServer())
          .post(`/batches/${batch.id}/items`)
          .send({ status: 'failed', count: -2 })
          .expect(400);
        await request(app.getHttpServer()).post('/batches').send({ total: 5 }).expect(400);
      });
    });

    describe('stats and health', () => {
      it('GET /stats shows store counts and @Cached counters', async () => {
        const { body } = await request(app.getHttpServer()).get('/stats').expect(200);
        expect(body.store).toMatchObject({ backend: label, serializer: 'json' });
        expect(body.store.totalKeys).toBeGreaterThan(0);
        expect(body.cached).toMatchObject({ hits: expect.any(Number), misses: expect.any(Number) });
        expect(body.cached.methods['UsersApiClient.fetchUser'].hits).toBeGreaterThanOrEqual(1);
      });

      it('GET /health reports the store up, naming the backend', async () => {
        const { body } = await request(app.getHttpServer()).get('/health').expect(200);
        expect(body.status).toBe('ok');
        expect(body.details.kvStore).toMatchObject({ status: 'up', backend: label });
      });
    });
  });
}
