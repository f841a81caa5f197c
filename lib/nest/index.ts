export { KvStoreModule } from './kv-store.module.js';
export type {
  KvStoreForRootAsyncOptions,
  KvStoreForRootOptions,
  KvStoreOptionsFactory,
} from './kv-store.module-definition.js';
export type {
  KvStoreBootOptions,
  KvStoreCreateOptions,
  KvStoreInstanceOptions,
  KvStoreModuleExtras,
  KvStoreModuleOptions,
} from './kv-store-module-options.js';
export { getKvStoreToken } from './kv-store.tokens.js';
export { InjectKvStore } from './inject-kv-store.decorator.js';
export {
  Cached,
  type CacheableMethod,
  type CachedDecorator,
  type CachedOptions,
} from './cached/cached.decorator.js';
export {
  KvCacheService,
  type AsyncMethodName,
  type ClassRef,
  type MethodArgs,
  type ServiceGetOrSetOptions,
} from './cached/kv-cache.service.js';
export {
  KvStoreHealthIndicator,
  type KvStoreHealthDetails,
  type KvStoreHealthOptions,
  type KvStoreHealthResult,
} from './kv-store.health.js';
