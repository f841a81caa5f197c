/**
 * Attribute and instrument names, from OpenTelemetry's database semantic conventions where one
 * fits (`db.*`, `server.*`, `error.type`) and under `kv.` for what is this library's own.
 */
export const ATTR = {
  dbSystem: 'db.system.name',
  dbOperation: 'db.operation.name',
  dbNamespace: 'db.namespace',
  batchSize: 'db.operation.batch.size',
  returnedRows: 'db.response.returned_rows',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  storeName: 'kv.store.name',
  keyPrefix: 'kv.key.prefix',
  redisTopology: 'kv.redis.topology',
  cachedMethod: 'kv.cached.method',
  cachedOutcome: 'kv.cached.outcome',
  cachedStoreError: 'kv.cached.store_error',
} as const;

/** Instrument names; units follow the OpenTelemetry conventions (seconds, `{key}`, ...). */
export const METRIC = {
  operationDuration: 'db.client.operation.duration',
  operationErrors: 'kv.client.operation.errors',
  cachedCalls: 'kv.cached.calls',
  cachedStoreErrors: 'kv.cached.store_errors',
  keys: 'kv.store.keys',
  expiringKeys: 'kv.store.expiring_keys',
  connectionReady: 'kv.store.connection.ready',
  nearCacheHits: 'kv.near_cache.hits',
  nearCacheInvalidations: 'kv.near_cache.invalidations',
  circuitState: 'kv.store.circuit.state',
  circuitOpens: 'kv.store.circuit.opens',
  circuitRefused: 'kv.store.circuit.refused',
} as const;

/** Instrumentation scope name: the package name. */
export const SCOPE_NAME = 'nestjs-kv-store';

/**
 * Histogram bucket bounds in seconds: the database conventions' advice, extended downwards because
 * an in-memory operation takes microseconds.
 */
export const DURATION_BUCKETS = [
  0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];
