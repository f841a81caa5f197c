import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A metric reader that collects only when a test asks. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** An OpenTelemetry SDK registered globally for a test: spans in memory, metrics on demand. */
export interface TestSdk {
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  /** Forgets the spans ended so far. */
  resetSpans(): void;
  /** Collects every metric now. */
  collect(): Promise<MetricData[]>;
  /** Unregisters the SDK (the API is a no-op again). */
  stop(): Promise<void>;
}

/**
 * Registers a tracer provider with an in-memory exporter, a meter provider with an on-demand
 * reader and the AsyncLocalStorage context manager (what the Node SDK registers), the way an
 * application's `tracing.ts` does.
 */
export function startTestSdk(): TestSdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans: () => exporter.getFinishedSpans(),
    resetSpans: () => exporter.reset(),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    },
    async stop() {
      trace.disable();
      metrics.disable();
      context.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Data points of one metric, by name; empty when the metric was not collected. */
export function pointsOf(collected: MetricData[], name: string): Array<DataPoint<unknown>> {
  return collected
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as Array<DataPoint<unknown>>);
}

/** The point whose attributes include every given attribute, or undefined. */
export function pointWith<T>(
  points: Array<DataPoint<T>>,
  attributes: Attributes,
): DataPoint<T> | undefined {
  return points.find((point) =>
    Object.entries(attributes).every(([name, value]) => point.attributes[name] === value),
  );
}

/** The count of a histogram data point. */
export function histogramCount(point: DataPoint<unknown> | undefined): number {
  return (point?.value as Histogram | undefined)?.count ?? 0;
}

/** The type of the data of a metric (sum, gauge, histogram), by name. */
export function dataPointType(collected: MetricData[], name: string): DataPointType | undefined {
  return collected.find((metric) => metric.descriptor.name === name)?.dataPointType;
}

/** Every string in a span: attribute values, status message, event names and attributes. */
export function stringsOf(span: ReadableSpan): string[] {
  const strings: string[] = [span.name];
  const add = (attributes: Attributes | undefined): void => {
    for (const value of Object.values(attributes ?? {})) {
      if (Array.isArray(value)) strings.push(...value.map(String));
      else if (value !== undefined && value !== null) strings.push(String(value));
    }
  };
  add(span.attributes);
  if (span.status.message !== undefined) strings.push(span.status.message);
  for (const event of span.events) {
    strings.push(event.name);
    add(event.attributes);
  }
  return strings;
}
