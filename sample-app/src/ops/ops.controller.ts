import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { KvCacheService, KvStore, KvStoreHealthIndicator } from 'nestjs-kv-store';

/** Operational endpoints: statistics and health. */
@Controller()
export class OpsController {
  constructor(
    private readonly store: KvStore,
    private readonly cache: KvCacheService,
    private readonly health: HealthCheckService,
    private readonly kvHealth: KvStoreHealthIndicator,
  ) {}

  /** `GET /stats`: the store's statistics and the `@Cached` hit, miss and coalescing counters. */
  @Get('stats')
  async stats() {
    return { store: await this.store.getStats(), cached: this.cache.getCachedStats() };
  }

  /** `GET /health`: terminus health check; 503 when the store does not answer within 1 s. */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.kvHealth.isHealthy('kvStore')]);
  }
}
