// docs:otel-sdk:start
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/** The running OpenTelemetry SDK of the app. */
export interface OtelSdk {
  /** Serves `/metrics`; the app mounts its request handler instead of a second HTTP server. */
  prometheus: PrometheusExporter;
  /** Flushes and unregisters everything. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK globally. Call it before `NestFactory.create`, so the stores
 * report from their first operation. nestjs-kv-store needs nothing else: its stores and `@Cached`
 * methods find the SDK through `@opentelemetry/api`.
 */
export function startOtelSdk(options: { spanExporter?: SpanExporter } = {}): OtelSdk {
  const resource = resourceFromAttributes({ 'service.name': 'kv-store-sample-app' });
  // Carries the active span across await, so @Cached spans parent the store spans.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);

  const tracerProvider = new BasicTracerProvider({
    resource,
    // In production: an OTLP exporter to your collector, Jaeger, Honeycomb, Datadog, ...
    spanProcessors: options.spanExporter ? [new BatchSpanProcessor(options.spanExporter)] : [],
  });
  trace.setGlobalTracerProvider(tracerProvider);

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);

  return {
    prometheus,
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
// docs:otel-sdk:end

let running: OtelSdk | undefined;

/** Starts the SDK once for this process (main.ts, tests) and remembers it for `/metrics`. */
export function startSampleTelemetry(options: { spanExporter?: SpanExporter } = {}): OtelSdk {
  if (running) return running;
  const sdk = startOtelSdk(options);
  running = {
    prometheus: sdk.prometheus,
    async shutdown() {
      running = undefined;
      await sdk.shutdown();
    },
  };
  return running;
}

/** The SDK the process started, or undefined (then `/metrics` answers 503). */
export function runningTelemetry(): OtelSdk | undefined {
  return running;
}
