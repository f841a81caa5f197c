import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { KvCacheService, KvStore } from 'nestjs-kv-store';
import { BatchProgressService } from '../batches/batch-progress.service.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';
import { MetricsHistory } from './metrics-history.service.js';

/** uPlot's browser build, served from node_modules (no CDN). */
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
const ASSETS: Record<string, string> = {
  'uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

/** `GET /dashboard`: a live page of batch progress, hit ratios, throughput, latency and keys. */
@Controller('dashboard')
export class DashboardController {
  constructor(
    private readonly store: KvStore,
    private readonly cache: KvCacheService,
    private readonly batches: BatchProgressService,
    private readonly history: MetricsHistory,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_PAGE;
  }

  /** What the page polls: batches, `@Cached` counters (as in `/stats`) and the metric history. */
  @Get('data')
  async data() {
    return {
      backend: this.store.backend,
      telemetry: this.history.enabled,
      batches: await this.batches.list(),
      cached: this.cache.getCachedStats(),
      history: this.history.history(),
    };
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() response: ServerResponse): void {
    const type = ASSETS[file];
    if (type === undefined) throw new NotFoundException(`No asset ${file}`);
    response.setHeader('content-type', type);
    response.setHeader('cache-control', 'public, max-age=3600');
    createReadStream(join(UPLOT_DIST, file)).pipe(response);
  }
}
