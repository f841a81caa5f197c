import type { Attributes } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createStore, type KvStore, type StoreOptions } from '../../lib/index.js';
import { TRACED_OPERATIONS } from '../../lib/telemetry/instrument-store.js';
import {
  histogramCount,
  pointsOf,
  pointWith,
  startTestSdk,
  stringsOf,
  type TestSdk,
} from '../support/otel-harness.js';

/** Text that appears only in keys and values: it must never show up in telemetry. */
const SECRET = 'secret-7f3a';

/** Every operation of the contract, as `kv.<operation>` span names: telemetry's own list. */
export const CONTRACT_OPERATIONS = TRACED_OPERATIONS;

/** Calls every operation of the contract once, with keys and values holding {@link SECRET}. */
async function runEveryOperation(store: KvStore): Promise<void> {
  const key = `user:${SECRET}`;
  await store.put(key, { email: `${SECRET}@example.org` }, { ttl: 60 });
  await store.get(key);
  await store.exists(key);
  await store.ttl(key);
  await store.putIfAbsent(`user:${SECRET}-2`, SECRET);
  await store.increment(`count:${SECRET}`, 2);
  await store.putMany([
    [`batch:${SECRET}-a`, SECRET],
    [`batch:${SECRET}-b`, SECRET],
    [`batch:${SECRET}-c`, SECRET],
  ]);
  await store.getMany([`batch:${SECRET}-a`, `batch:${SECRET}-b`]);
  await store.rangeGet('batch:');
  for await (const entry of store.iterate('batch:', undefined, { batchSize: 2 })) void entry;
  await store.delete(key);
  await store.deleteMany([`batch:${SECRET}-a`, `batch:${SECRET}-b`]);
  await store.getStats();
  await store.ping();
  await store.clear();
  await store.close();
}

/** What every span of a backend carries, beside `db.operation.name`. */
export type ExpectedAttributes = () => Attributes;

/**
 * Spans and metrics of every store operation, on one backend:
 * `runStoreTelemetryCases('redis', () => ({ type: 'redis', port }), () => ({ ... }))`.
 */
export function runStoreTelemetryCases(
  backend: 'memory' | 'redis',
  options: () => StoreOptions,
  expected: ExpectedAttributes,
): void {
  describe(`OpenTelemetry spans and metrics of the ${backend} store`, () => {
    let sdk: TestSdk;

    beforeEach(() => {
      sdk = startTestSdk();
    });

    afterEach(async () => {
      await sdk.stop();
    });

    it('every contract operation emits one kv.<operation> span with the documented attributes', async () => {
      await runEveryOperation(createStore(options()));
      const spans = sdk.spans();
      expect(spans.map((span) => span.name).sort()).toEqual(
        CONTRACT_OPERATIONS.map((operation) => `kv.${operation}`).sort(),
      );
      for (const span of spans) {
        const operation = span.name.slice('kv.'.length);
        expect(span.attributes).toMatchObject({
          ...expected(),
          'db.system.name': backend,
          'db.operation.name': operation,
        });
        expect(span.kind).toBe(backend === 'redis' ? SpanKind.CLIENT : SpanKind.INTERNAL);
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
      }
      const byName = (name: string) => spans.find((span) => span.name === name);
      expect(byName('kv.putMany')?.attributes['db.operation.batch.size']).toBe(3);
      expect(byName('kv.getMany')?.attributes['db.operation.batch.size']).toBe(2);
      expect(byName('kv.deleteMany')?.attributes['db.operation.batch.size']).toBe(2);
      expect(byName('kv.rangeGet')?.attributes['db.response.returned_rows']).toBe(3);
      expect(byName('kv.iterate')?.attributes['db.response.returned_rows']).toBe(3);
    });

    it('no span holds a key or a value, not even in part', async () => {
      await runEveryOperation(createStore(options()));
      const failing = createStore(options());
      await failing.put(`text:${SECRET}`, SECRET);
      await expect(failing.increment(`text:${SECRET}`)).rejects.toThrow(SECRET);
      await failing.close();
      const strings = sdk.spans().flatMap(stringsOf);
      expect(strings.length).toBeGreaterThan(40);
      expect(strings.filter((text) => text.includes(SECRET) || text.includes('user:'))).toEqual([]);
    });

    it('with keyPrefixDelimiter, single-key spans carry the key up to the delimiter and no more', async () => {
      const store = createStore({ ...options(), telemetry: { keyPrefixDelimiter: ':' } });
      await store.put(`user:${SECRET}`, 1);
      await store.get(`nodelimiter${SECRET}`);
      await store.close();
      const [put, get] = sdk.spans();
      expect(put?.attributes['kv.key.prefix']).toBe('user:');
      expect(get?.attributes).not.toHaveProperty('kv.key.prefix');
    });

    it('a failed operation sets the span status and counts the error by its KvStoreError code', async () => {
      const store = createStore(options());
      await store.put(`text:${SECRET}`, 'not a number');
      await expect(store.increment(`text:${SECRET}`)).rejects.toMatchObject({
        code: 'NOT_A_NUMBER',
      });
      await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await store.close();
      const increment = sdk.spans().find((span) => span.name === 'kv.increment');
      expect(increment?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NOT_A_NUMBER' });
      expect(increment?.attributes['error.type']).toBe('NOT_A_NUMBER');
      const errors = pointsOf(await sdk.collect(), 'kv.client.operation.errors');
      expect(
        pointWith(errors, { 'db.operation.name': 'increment', 'error.type': 'NOT_A_NUMBER' })
          ?.value,
      ).toBe(1);
      expect(
        pointWith(errors, { 'db.operation.name': 'get', 'error.type': 'INVALID_ARGUMENT' })?.value,
      ).toBe(1);
      expect(errors.reduce((sum, point) => sum + (point.value as number), 0)).toBe(2);
    });

    it('records each operation in db.client.operation.duration, in seconds', async () => {
      const store = createStore(options());
      for (let i = 0; i < 5; i++) await store.put(`k${i}`, i);
      for (let i = 0; i < 3; i++) await store.get(`k${i}`);
      await store.close();
      const collected = await sdk.collect();
      const duration = collected.find((m) => m.descriptor.name === 'db.client.operation.duration');
      expect(duration?.descriptor.unit).toBe('s');
      const points = pointsOf(collected, 'db.client.operation.duration');
      const put = pointWith(points, { 'db.operation.name': 'put', ...expected() });
      expect(histogramCount(put)).toBe(5);
      expect(histogramCount(pointWith(points, { 'db.operation.name': 'get' }))).toBe(3);
      const sum = (put?.value as { sum: number }).sum;
      // Five puts take more than nothing and, even on a loaded machine, far less than a minute.
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(60);
    });

    it('reports keys and expiring keys as gauges, counting them once per statsInterval', async () => {
      const store = createStore({ ...options(), telemetry: { statsInterval: 3600 } });
      await store.put('a', 1, { ttl: 60 });
      await store.put('b', 2);
      await store.put('c', 3);
      const counted = countStatsCalls(store);
      const first = await sdk.collect();
      await store.put('d', 4);
      const second = await sdk.collect();
      await sdk.collect();
      expect(counted()).toBe(1);
      expect(pointWith(pointsOf(first, 'kv.store.keys'), expected())?.value).toBe(3);
      expect(pointWith(pointsOf(first, 'kv.store.expiring_keys'), expected())?.value).toBe(1);
      // Within the interval a scrape reuses the count: the fourth key shows up at the next one.
      expect(pointWith(pointsOf(second, 'kv.store.keys'), expected())?.value).toBe(3);
      await store.clear();
      await store.close();
    });

    it('telemetry: false emits no span and no metric', async () => {
      const store = createStore({ ...options(), telemetry: false });
      await store.put('k', 1);
      await store.get('k');
      await expect(store.get('')).rejects.toThrow();
      const collected = await sdk.collect();
      await store.clear();
      await store.close();
      expect(sdk.spans()).toEqual([]);
      expect(collected.flatMap((metric) => metric.dataPoints as unknown[])).toEqual([]);
    });
  });
}

/** Counts the backend's statistics runs of `store` from now on. */
function countStatsCalls(store: KvStore): () => number {
  const backend = store as unknown as { statsRaw: () => unknown };
  const original = backend.statsRaw.bind(store);
  let calls = 0;
  backend.statsRaw = () => {
    calls++;
    return original();
  };
  return () => calls;
}
