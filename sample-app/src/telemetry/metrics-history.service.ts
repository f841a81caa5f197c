import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { runningTelemetry } from './otel-sdk.js';

/** One point of the dashboard's charts. */
export interface HistorySample {
  /** Unix time in seconds. */
  t: number;
  /** Store operations per second since the previous sample. */
  opsPerSecond: number;
  /** Mean operation latency in milliseconds since the previous sample (null: no operation). */
  meanMs: number | null;
  /** 95th percentile latency in milliseconds (upper bound of its histogram bucket), or null. */
  p95Ms: number | null;
  /** Live keys and keys with a TTL, from the store's gauges (null until the first reading). */
  keys: number | null;
  expiringKeys: number | null;
}

/** Cumulative totals of the duration histogram over every operation. */
interface Totals {
  at: number;
  count: number;
  sum: number;
  boundaries: number[];
  buckets: number[];
}

const KEEP_SAMPLES = 300;

/**
 * Samples the app's own OpenTelemetry metrics every `DASHBOARD_SAMPLE_MS` (default 1000) into the
 * last five minutes of operations per second, latency and key counts: what the dashboard charts.
 * It reads the same figures a Prometheus scrape gets, through the Prometheus reader.
 */
@Injectable()
export class MetricsHistory implements OnModuleInit, OnModuleDestroy {
  private readonly samples: HistorySample[] = [];
  private previous: Totals | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  onModuleInit(): void {
    const every = Number(process.env.DASHBOARD_SAMPLE_MS ?? 1000);
    this.timer = setInterval(() => void this.sample(), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The samples of the last five minutes, oldest first. */
  history(): HistorySample[] {
    return [...this.samples];
  }

  /** Whether an OpenTelemetry SDK runs (without one the charts stay empty). */
  get enabled(): boolean {
    return runningTelemetry() !== undefined;
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    const sdk = runningTelemetry();
    if (sdk === undefined || this.sampling) return;
    this.sampling = true;
    try {
      const { resourceMetrics } = await sdk.prometheus.collect();
      const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      this.record(
        totalsOf(all),
        gaugeOf(all, 'kv.store.keys'),
        gaugeOf(all, 'kv.store.expiring_keys'),
      );
    } finally {
      this.sampling = false;
    }
  }

  private record(totals: Totals, keys: number | null, expiringKeys: number | null): void {
    const previous = this.previous;
    this.previous = totals;
    if (previous === undefined) return;
    const seconds = (totals.at - previous.at) / 1000;
    const count = totals.count - previous.count;
    const buckets = totals.buckets.map((n, i) => n - (previous.buckets[i] ?? 0));
    this.samples.push({
      t: totals.at / 1000,
      opsPerSecond: seconds > 0 ? count / seconds : 0,
      meanMs: count > 0 ? ((totals.sum - previous.sum) / count) * 1000 : null,
      p95Ms: count > 0 ? percentileMs(totals.boundaries, buckets, count, 0.95) : null,
      keys,
      expiringKeys,
    });
    if (this.samples.length > KEEP_SAMPLES) this.samples.shift();
  }
}

function totalsOf(all: MetricData[]): Totals {
  const totals: Totals = { at: Date.now(), count: 0, sum: 0, boundaries: [], buckets: [] };
  const duration = all.filter(
    (metric) => metric.descriptor.name === 'db.client.operation.duration',
  );
  for (const metric of duration) {
    for (const point of metric.dataPoints as Array<DataPoint<Histogram>>) {
      totals.count += point.value.count;
      totals.sum += point.value.sum ?? 0;
      totals.boundaries = point.value.buckets.boundaries;
      point.value.buckets.counts.forEach((n, i) => {
        totals.buckets[i] = (totals.buckets[i] ?? 0) + n;
      });
    }
  }
  return totals;
}

function gaugeOf(all: MetricData[], name: string): number | null {
  const points = all
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as Array<DataPoint<number>>);
  return points.length === 0 ? null : points.reduce((sum, point) => sum + point.value, 0);
}

/** Upper bound, in ms, of the bucket holding the `q` quantile (the last bound for the overflow). */
function percentileMs(boundaries: number[], buckets: number[], count: number, q: number): number {
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= q * count) return (boundaries[Math.min(i, boundaries.length - 1)] ?? 0) * 1000;
  }
  return (boundaries[boundaries.length - 1] ?? 0) * 1000;
}
