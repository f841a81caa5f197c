import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { KvCacheService, KvStore, KvStoreHealthIndicator } from 'nestjs-kv-store';
import { FrontierProvider } from '../frontier/frontier.provider.js';

/** Operational endpoints: statistics and health. */
@Controller()
export class OpsController {
  constructor(
    private readonly store: KvStore,
    private readonly cache: KvCacheService,
    private readonly health: HealthCheckService,
    private readonly kvHealth: KvStoreHealthIndicator,
    private readonly frontier: FrontierProvider,
  ) {}

  /**
   * `GET /stats`: the store's statistics, the `@Cached` hit, miss and coalescing counters, and
   * how many frontier batches this instance computed.
   */
  @Get('stats')
  async stats() {
    return {
      store: await this.store.getStats(),
      cached: this.cache.getCachedStats(),
      frontier: { computations: this.frontier.computations },
    };
  }

  /** `GET /health`: terminus health check; 503 when the store does not answer within 1 s. */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.kvHealth.isHealthy('kvStore')]);
  }
}
