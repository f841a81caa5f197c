import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CachedExplorer } from './cached/cached.explorer.js';
import { KvCacheService } from './cached/kv-cache.service.js';
import { KvStoreHealthIndicator } from './kv-store.health.js';
import { KvStoreRegistry } from './kv-store.registry.js';

/**
 * The per-application part of `KvStoreModule`: a static module, so however many stores are
 * registered, an app has one registry, one `@Cached` explorer and one `KvCacheService`.
 * Every `KvStoreModule.forRoot*` imports and re-exports it.
 * @internal
 */
@Module({
  imports: [DiscoveryModule],
  providers: [KvStoreRegistry, KvCacheService, CachedExplorer, KvStoreHealthIndicator],
  exports: [KvStoreRegistry, KvCacheService, KvStoreHealthIndicator],
})
export class KvStoreCoreModule {}
