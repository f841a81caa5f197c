import { createStore, KvStoreError, type RedisStore } from '../../lib/index.js';
import { pointsOf, pointWith, startTestSdk, type TestSdk } from '../support/otel-harness.js';
import {
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { runStoreTelemetryCases } from './store-telemetry.cases.js';

let redis: RedisProcess;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

runStoreTelemetryCases(
  'redis',
  () => ({
    type: 'redis',
    host: '127.0.0.1',
    port: redis.port,
    db: 2,
    keyPrefix: uniquePrefix('otel'),
  }),
  () => ({
    'server.address': '127.0.0.1',
    'server.port': redis.port,
    'db.namespace': '2',
    'kv.redis.topology': 'standalone',
  }),
);

describe('Redis connection telemetry', () => {
  let sdk: TestSdk;

  beforeEach(() => {
    sdk = startTestSdk();
  });

  afterEach(async () => {
    await sdk.stop();
  });

  it('kv.store.connection.ready is 1 while connected and 0 once the server is gone, and the failed get is counted by code', async () => {
    const server = await startRedis();
    const store = createStore({
      type: 'redis',
      port: server.port,
      timeout: 0.5,
      keyPrefix: uniquePrefix('otel-down'),
      telemetry: { name: 'sessions', statsInterval: 0 },
    }) as RedisStore;
    try {
      await store.connect();
      const up = pointsOf(await sdk.collect(), 'kv.store.connection.ready');
      expect(pointWith(up, { 'kv.store.name': 'sessions' })?.value).toBe(1);
      await server.stop();
      await waitUntil(
        async () => {
          const down = pointsOf(await sdk.collect(), 'kv.store.connection.ready');
          return pointWith(down, { 'kv.store.name': 'sessions' })?.value === 0;
        },
        10_000,
        'the connection gauge to read 0',
      );
      const failure = await store.get('k').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(KvStoreError);
      const code = (failure as KvStoreError).code;
      const errors = pointsOf(await sdk.collect(), 'kv.client.operation.errors');
      expect(pointWith(errors, { 'db.operation.name': 'get', 'error.type': code })?.value).toBe(1);
      const span = sdk.spans().find((s) => s.name === 'kv.get');
      expect(span?.attributes['error.type']).toBe(code);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('kv.store.circuit.* show the breaker open, its openings and refused calls, also while getStats() is refused', async () => {
    const server = await startRedis();
    const store = createStore({
      type: 'redis',
      port: server.port,
      timeout: 0.5,
      keyPrefix: uniquePrefix('otel-breaker'),
      circuitBreaker: { failures: 1, duration: 60 },
      telemetry: { name: 'breaker', statsInterval: 0 },
    }) as RedisStore;
    const named = { 'kv.store.name': 'breaker' };
    try {
      await store.connect();
      const closed = await sdk.collect();
      expect(pointWith(pointsOf(closed, 'kv.store.circuit.state'), named)?.value).toBe(0);
      await server.stop();
      await expect(store.get('k')).rejects.toThrow(KvStoreError); // the connection is gone: opens it
      await expect(store.get('k')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
      const opened = await sdk.collect();
      expect(pointWith(pointsOf(opened, 'kv.store.circuit.state'), named)?.value).toBe(2);
      expect(pointWith(pointsOf(opened, 'kv.store.circuit.opens'), named)?.value).toBe(1);
      // The refused get (read before this collection's getStats(), which is refused too).
      expect(pointWith(pointsOf(opened, 'kv.store.circuit.refused'), named)?.value).toBe(1);
      const errors = pointsOf(opened, 'kv.client.operation.errors');
      expect(
        pointWith(errors, { 'db.operation.name': 'get', 'error.type': 'CIRCUIT_OPEN' })?.value,
      ).toBe(1);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
