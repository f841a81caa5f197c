import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { KvStoreModule, kvStoreOptionsFromEnv } from 'nestjs-kv-store';
import { UpstreamController } from './api-cache/upstream.controller.js';
import { UsersApiClient } from './api-cache/users-api.client.js';
import { UsersController } from './api-cache/users.controller.js';
import { BatchProgressService } from './batches/batch-progress.service.js';
import { BatchesController } from './batches/batches.controller.js';
import { KvStoreErrorFilter } from './common/kv-store-error.filter.js';
import { FrontierController } from './frontier/frontier.controller.js';
import { FrontierProvider } from './frontier/frontier.provider.js';
import { OpsController } from './ops/ops.controller.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { DashboardController } from './telemetry/dashboard.controller.js';
import { MetricsController } from './telemetry/metrics.controller.js';
import { MetricsHistory } from './telemetry/metrics-history.service.js';

/**
 * The sample application. The store comes from environment variables through ConfigService:
 * in memory by default, Redis with `KV_STORE_TYPE=redis KV_REDIS_URL=redis://127.0.0.1:6379`.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    KvStoreModule.forRootAsync({
      inject: [ConfigService],
      // Key gauges (for /metrics and the dashboard) count the store at most every 2 s.
      useFactory: (config: ConfigService) => ({
        ...kvStoreOptionsFromEnv(config),
        telemetry: { statsInterval: 2 },
      }),
    }),
    TerminusModule,
  ],
  controllers: [
    FrontierController,
    UpstreamController,
    UsersController,
    SessionsController,
    BatchesController,
    OpsController,
    MetricsController,
    DashboardController,
  ],
  providers: [
    FrontierProvider,
    UsersApiClient,
    BatchProgressService,
    MetricsHistory,
    { provide: APP_FILTER, useClass: KvStoreErrorFilter },
  ],
})
export class AppModule {}
