/**
 * The `nestjs-kv-store/core` entry point: the stores, `createStore`, serializers, errors,
 * environment parsing, migration, the Keyv adapter and the `KvCache` layer, without the Nest layer, so scripts and
 * the CLI load no `@nestjs/*` package. `nestjs-kv-store` exports all of this too.
 * @module
 */
export { KvStore } from './core/kv-store.js';
export * from './core/errors.js';
export type {
  CommonStoreOptions,
  KeyRange,
  MaybePromise,
  RawValue,
  IncrementOptions,
  IterateOptions,
  KvStoreStats,
  PutOptions,
  RangeOptions,
} from './core/types.js';
export type { TelemetryOption, TelemetryOptions } from './telemetry/telemetry-options.js';
export type { CircuitReading, TelemetryTarget } from './telemetry/telemetry-target.js';
export type { CachedOutcome } from './telemetry/cached-telemetry.js';
export { MAX_TTL_SECONDS, type Duration, type Ttl } from './core/ttl.js';
export { MAX_KEY_LENGTH } from './core/validation.js';
export { MAX_LEASE_MS, supportsLeases, type LeaseCapable } from './core/lease.js';
export { supportsServerReads, type ServerReadCapable } from './core/server-reads.js';
export { compareKeys } from './core/key-order.js';
export type {
  SerializedValue,
  Serializer,
  SerializerName,
  SerializerOption,
} from './serializers/serializer.js';
export { jsonSerializer } from './serializers/json-serializer.js';
export { richSerializer } from './serializers/rich-serializer.js';
export { MemoryStore, type MemoryStoreStats } from './memory/memory-store.js';
export type { MemoryStoreOptions } from './memory/memory-store-options.js';
export { RedisStore } from './redis/redis-store.js';
export type { RedisNodeStats, RedisStoreStats } from './redis/redis-stats.js';
export { DEFAULT_MAX_VALUE_BYTES } from './redis/options/value-size.js';
export type {
  RedisClusterOptions,
  RedisNodeAddress,
  RedisStoreOptions,
} from './redis/options/redis-store-options.js';
export type { RedisTopology } from './redis/options/resolve-redis-options.js';
export type {
  CircuitBreakerOptions,
  RedisDurabilityOptions,
} from './redis/options/redis-store-options.js';
export type { CircuitBreakerStats, CircuitState } from './redis/connection/circuit-breaker.js';
export type {
  NearCacheOptions,
  NearCacheTrackingMode,
} from './redis/near-cache/near-cache-options.js';
export type { NearCacheStats } from './redis/near-cache/near-cache.js';
export {
  NEAR_CACHE_INVALIDATED_CHANNEL,
  type NearCacheInvalidatedMessage,
} from './redis/near-cache/invalidated-channel.js';
export { createStore, withStore, STORE_TYPES, type StoreOptions } from './create-store.js';
export {
  kvStoreOptionsFromEnv,
  KV_STORE_ENV,
  type KvStoreEnvOptions,
  type KvStoreEnvSource,
} from './kv-store-env.js';
export {
  KeyvKvStoreAdapter,
  type KeyvAdapterOptions,
  type KeyvKvStoreAdapterOptions,
  type KeyvSetManyEntry,
} from './keyv/keyv-store-adapter.js';
export * from './migration/index.js';
export {
  KvCache,
  type CacheLoader,
  type GetOrSetOptions,
  type KvCacheOptions,
} from './cache/kv-cache.js';
export type { CacheLogger } from './cache/cache-caller.js';
export type { LoaderContext } from './cache/loader-context.js';
export type { MultiInstanceCachedOptions, ResilienceOptions } from './cache/cache-options.js';
export type { CachedMethodStats } from './cache/cache-scope.js';
export type { CachedStats } from './cache/cache-stats.js';
export { stableStringify } from './cache/stable-stringify.js';
