import type {
  BatchObservableResult,
  Counter,
  Histogram,
  MeterProvider,
  Observable,
} from '@opentelemetry/api';
import { DURATION_BUCKETS, METRIC, SCOPE_NAME } from './attribute-names.js';
import { observedStores } from './observed-stores.js';
import type { OtelApiModule } from './otel-api.js';

/** The instruments every store and `@Cached` method records to, from one meter provider. */
export interface Instruments {
  duration: Histogram;
  errors: Counter;
  cachedCalls: Counter;
  cachedStoreErrors: Counter;
}

/**
 * One set per meter provider: instruments from a provider that was replaced (tests, a restarted
 * SDK) would report nowhere, so the provider is looked up at each use and its set reused.
 */
const byProvider = new WeakMap<MeterProvider, Instruments>();

/** The instruments of the global meter provider, created (with the gauges) on first use. */
export function instrumentsOf(api: OtelApiModule): Instruments {
  const provider = api.metrics.getMeterProvider();
  let instruments = byProvider.get(provider);
  if (instruments === undefined) {
    instruments = createInstruments(api, provider);
    byProvider.set(provider, instruments);
  }
  return instruments;
}

function createInstruments(api: OtelApiModule, provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE_NAME);
  const gauges = {
    keys: meter.createObservableGauge(METRIC.keys, {
      description: 'Live keys of the store (from getStats, at most once per statsInterval)',
      unit: '{key}',
      valueType: api.ValueType.INT,
    }),
    expiringKeys: meter.createObservableGauge(METRIC.expiringKeys, {
      description: 'Live keys of the store that have a TTL (from getStats)',
      unit: '{key}',
      valueType: api.ValueType.INT,
    }),
    connectionReady: meter.createObservableGauge(METRIC.connectionReady, {
      description: '1 when the store connection (Redis) is ready, 0 when it is not',
      unit: '1',
      valueType: api.ValueType.INT,
    }),
    nearCacheHits: meter.createObservableCounter(METRIC.nearCacheHits, {
      description: 'Reads answered by the near cache in front of Redis',
      unit: '{hit}',
      valueType: api.ValueType.INT,
    }),
    nearCacheInvalidations: meter.createObservableCounter(METRIC.nearCacheInvalidations, {
      description: 'Near-cache entries dropped because Redis reported a change',
      unit: '{invalidation}',
      valueType: api.ValueType.INT,
    }),
    circuitState: meter.createObservableGauge(METRIC.circuitState, {
      description: 'Circuit breaker of the store: 0 closed, 1 half-open, 2 open',
      unit: '1',
      valueType: api.ValueType.INT,
    }),
    circuitOpens: meter.createObservableCounter(METRIC.circuitOpens, {
      description: 'Times the circuit breaker of the store opened',
      unit: '{open}',
      valueType: api.ValueType.INT,
    }),
    circuitRefused: meter.createObservableCounter(METRIC.circuitRefused, {
      description: 'Calls the circuit breaker refused at once (CircuitOpenError)',
      unit: '{call}',
      valueType: api.ValueType.INT,
    }),
  };
  meter.addBatchObservableCallback(
    (result) => observeAll(result, gauges),
    Object.values(gauges) as Observable[],
  );
  return {
    duration: meter.createHistogram(METRIC.operationDuration, {
      description: 'Duration of store operations',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    errors: meter.createCounter(METRIC.operationErrors, {
      description: 'Store operations that failed, by error.type (the KvStoreError code)',
      unit: '{error}',
      valueType: api.ValueType.INT,
    }),
    cachedCalls: meter.createCounter(METRIC.cachedCalls, {
      description: '@Cached calls by method and outcome (hit, miss, coalesced, stale)',
      unit: '{call}',
      valueType: api.ValueType.INT,
    }),
    cachedStoreErrors: meter.createCounter(METRIC.cachedStoreErrors, {
      description: '@Cached store reads or writes that failed (the call went on without the cache)',
      unit: '{error}',
      valueType: api.ValueType.INT,
    }),
  };
}

/** Every gauge and observable counter, named as the figure of a reading it observes. */
const PLAIN_READINGS = [
  'keys',
  'expiringKeys',
  'connectionReady',
  'nearCacheHits',
  'nearCacheInvalidations',
  'circuitState',
  'circuitOpens',
  'circuitRefused',
] as const;

type Gauges = Record<(typeof PLAIN_READINGS)[number], Observable>;

async function observeAll(result: BatchObservableResult, gauges: Gauges): Promise<void> {
  const readings = await Promise.all(observedStores().map((store) => store.read()));
  for (const reading of readings) {
    if (reading === undefined) continue;
    for (const name of PLAIN_READINGS) {
      const value = reading[name];
      if (value !== undefined) result.observe(gauges[name], value, reading.attributes);
    }
  }
}
