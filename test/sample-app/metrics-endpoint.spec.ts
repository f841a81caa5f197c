import request from 'supertest';
import { startRedis, type RedisProcess } from '../support/redis-harness.js';
import { startSampleAppWithTelemetry, type RunningSampleApp } from './sample-app-with-telemetry.js';

/** The value of the sample whose name and labels match, from Prometheus text. */
function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([label, value]) =>
      line.includes(`${label}="${value}"`),
    );
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function runMetricsEndpointCases(label: string, env: () => Record<string, string>): void {
  describe(`GET /metrics of the sample app on the ${label} store`, () => {
    let running: RunningSampleApp;
    let text: string;
    let stats: { store: { totalKeys: number; expiringKeys: number } };

    beforeAll(async () => {
      // No background sampling: the scrape below is the first to read the key counts.
      running = await startSampleAppWithTelemetry({ DASHBOARD_SAMPLE_MS: '3600000', ...env() });
      const http = request(running.app.getHttpServer());
      // A known workload: one batch and two recordings, a @Cached method called three times.
      const { body: batch } = await http.post('/batches').send({ name: 'crawl', total: 10 });
      await http.post(`/batches/${batch.id}/items`).send({ status: 'processed', count: 4 });
      await http.post(`/batches/${batch.id}/items`).send({ status: 'failed', count: 1 });
      for (let i = 0; i < 3; i++) {
        await http.get('/frontier/next').query({ domain: 'metrics.example', limit: 2 });
      }
      stats = (await http.get('/stats')).body;
      const scrape = await http.get('/metrics').expect(200);
      expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
      text = scrape.text;
    });

    afterAll(async () => {
      await running?.stop();
    });

    it('serves every documented metric name with its type', () => {
      for (const [name, type] of [
        ['db_client_operation_duration', 'histogram'],
        ['kv_cached_calls_total', 'counter'],
        ['kv_store_keys', 'gauge'],
        ['kv_store_expiring_keys', 'gauge'],
      ]) {
        expect(text).toContain(`# TYPE ${name} ${type}`);
      }
      expect(text).toContain('# UNIT db_client_operation_duration s');
    });

    it('counts the workload: two increments, one @Cached miss and two hits', () => {
      const store = { db_system_name: label, kv_store_name: 'default' };
      expect(
        sampleValue(text, 'db_client_operation_duration_count', {
          ...store,
          db_operation_name: 'increment',
        }),
      ).toBe(2);
      expect(
        sampleValue(text, 'db_client_operation_duration_count', {
          ...store,
          db_operation_name: 'putMany',
        }),
        // The new batch, and the frontier batch written with its domain tag row in one putMany.
      ).toBe(2);
      const method = { kv_cached_method: 'FrontierProvider.nextUrls' };
      expect(
        sampleValue(text, 'kv_cached_calls_total', { ...method, kv_cached_outcome: 'miss' }),
      ).toBe(1);
      expect(
        sampleValue(text, 'kv_cached_calls_total', { ...method, kv_cached_outcome: 'hit' }),
      ).toBe(2);
    });

    it('reports durations in seconds and the key counts /stats reports', () => {
      const labels = { db_system_name: label, db_operation_name: 'increment' };
      const sum = sampleValue(text, 'db_client_operation_duration_sum', labels) as number;
      // Two increments take more than nothing and, even on a loaded machine, far less than 10 s.
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(10);
      expect(
        sampleValue(text, 'db_client_operation_duration_bucket', { ...labels, le: '+Inf' }),
      ).toBe(2);
      expect(sampleValue(text, 'kv_store_keys', { db_system_name: label })).toBe(
        stats.store.totalKeys,
      );
      expect(sampleValue(text, 'kv_store_expiring_keys', { db_system_name: label })).toBe(
        stats.store.expiringKeys,
      );
      expect(stats.store.totalKeys).toBeGreaterThanOrEqual(4);
    });

    if (label === 'redis') {
      it('reports the Redis connection as ready', () => {
        expect(sampleValue(text, 'kv_store_connection_ready', { db_system_name: 'redis' })).toBe(1);
      });
    }
  });
}

runMetricsEndpointCases('memory', () => ({}));

describe('on Redis', () => {
  let redis: RedisProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  runMetricsEndpointCases('redis', () => ({
    KV_STORE_TYPE: 'redis',
    KV_REDIS_URL: `redis://127.0.0.1:${redis?.port}`,
    KV_KEY_PREFIX: 'sample-metrics:',
  }));
});
