import type { Attributes, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { ATTR, SCOPE_NAME } from './attribute-names.js';
import { errorType } from './error-type.js';
import { instrumentsOf } from './instruments.js';
import { observeStore, type GaugeReading, type ObservedStore } from './observed-stores.js';
import { metricsRegistered, otelApi, tracingRegistered, type OtelApiModule } from './otel-api.js';
import type { TelemetryOptions } from './telemetry-options.js';
import type { TelemetryTarget } from './telemetry-target.js';

/** The parts of a store that telemetry reads. */
export interface TelemetrySubject {
  /** `'memory'` or `'redis'`: `db.system.name`. */
  readonly backend: string;
}

/** The `getStats()` fields the gauges read; `nearCache` when the Redis near cache is on. */
interface StatsFields {
  totalKeys?: unknown;
  expiringKeys?: unknown;
  nearCache?: { hits?: unknown; invalidations?: unknown };
}

/** What one operation adds to its span: key count of batch operations, the key for its prefix. */
export interface OperationDetails {
  /** Keys a batch operation touches (`db.operation.batch.size`). */
  batchSize?: number;
  /** The key of a single-key operation; only its prefix is ever recorded, and only when asked. */
  key?: string;
  /** Whether to record `db.response.returned_rows` from an array result. */
  countRows?: boolean;
}

const DEFAULT_STATS_INTERVAL_MS = 10_000;

/** `kv.store.circuit.state` values, ordered so that the highest across instances is the worst. */
const CIRCUIT_STATE_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Per-store telemetry: attributes, spans, duration and error metrics, and the gauge readings. */
export class StoreTelemetry implements ObservedStore {
  private name: string | undefined;
  private readonly keyPrefixDelimiter: string | undefined;
  private readonly statsIntervalMs: number;
  private baseAttributes: Attributes | undefined;
  private readonly operationAttributes = new Map<string, Attributes>();
  private tracerProvider: TracerProvider | undefined;
  private tracer: Tracer | undefined;
  private lastStats: { at: number; value: StatsFields } | undefined;
  private pendingStats: Promise<StatsFields | undefined> | undefined;
  private readonly forget: () => void;

  constructor(
    private readonly subject: TelemetrySubject,
    options: TelemetryOptions,
    private readonly describeTarget: () => TelemetryTarget,
    private readonly readStats: () => Promise<StatsFields>,
    private readonly isClosed: () => boolean,
  ) {
    this.name = options.name;
    this.keyPrefixDelimiter = options.keyPrefixDelimiter;
    this.statsIntervalMs =
      options.statsInterval === undefined
        ? DEFAULT_STATS_INTERVAL_MS
        : options.statsInterval * 1000;
    this.forget = observeStore(this);
    const api = metricsRegistered() ? otelApi() : undefined;
    // Registers the gauges with an SDK that is already there, before any operation runs.
    if (api !== undefined) instrumentsOf(api);
  }

  /** The store name for `kv.store.name`, unless the `name` option already gave one. */
  nameIfUnnamed(name: string): void {
    if (this.name !== undefined) return;
    this.name = name;
    this.baseAttributes = undefined;
    this.operationAttributes.clear();
  }

  /** Attributes of every span and data point of this store. */
  attributes(): Attributes {
    if (this.baseAttributes === undefined) {
      const target = this.describeTarget();
      const attributes: Attributes = { [ATTR.dbSystem]: this.subject.backend };
      if (this.name !== undefined) attributes[ATTR.storeName] = this.name;
      if (target.serverAddress !== undefined) attributes[ATTR.serverAddress] = target.serverAddress;
      if (target.serverPort !== undefined) attributes[ATTR.serverPort] = target.serverPort;
      if (target.namespace !== undefined) attributes[ATTR.dbNamespace] = target.namespace;
      if (target.topology !== undefined) attributes[ATTR.redisTopology] = target.topology;
      this.baseAttributes = attributes;
    }
    return this.baseAttributes;
  }

  /** The tracer of the global provider, or undefined without one. */
  tracerOf(api: OtelApiModule): Tracer | undefined {
    if (!tracingRegistered()) return undefined;
    const provider = api.trace.getTracerProvider();
    if (provider !== this.tracerProvider || this.tracer === undefined) {
      this.tracerProvider = provider;
      this.tracer = provider.getTracer(SCOPE_NAME);
    }
    return this.tracer;
  }

  /** Runs one operation in a `kv.<operation>` span and records its duration and failure. */
  async run<R>(operation: string, details: OperationDetails, call: () => Promise<R>): Promise<R> {
    const api = otelApi();
    if (api === undefined) return call();
    const started = performance.now();
    const span = this.startSpan(api, operation, details);
    try {
      const result =
        span === undefined
          ? await call()
          : await api.context.with(api.trace.setSpan(api.context.active(), span), call);
      if (span !== undefined && details.countRows === true && Array.isArray(result)) {
        span.setAttribute(ATTR.returnedRows, result.length);
      }
      this.recordDuration(api, operation, started);
      return result;
    } catch (error) {
      this.failed(api, operation, span, error, started);
      throw error;
    } finally {
      span?.end();
    }
  }

  /**
   * Wraps an iteration in one `kv.iterate` span from the first fetch to its end. Its time is mostly
   * the caller's loop, so it is not recorded in the duration histogram; a failure is counted.
   */
  async *iterate<T>(details: OperationDetails, rows: AsyncGenerator<T, void, undefined>) {
    const api = otelApi();
    if (api === undefined) {
      yield* rows;
      return;
    }
    const span = this.startSpan(api, 'iterate', details);
    let count = 0;
    try {
      for await (const row of rows) {
        count++;
        yield row;
      }
    } catch (error) {
      this.failed(api, 'iterate', span, error, undefined);
      throw error;
    } finally {
      // Also when the caller leaves the loop early: the rows it received.
      span?.setAttribute(ATTR.returnedRows, count);
      span?.end();
    }
  }

  /** Stops reporting gauges for this store (it was closed). */
  closed(): void {
    this.forget();
  }

  /** Gauge figures, from a `getStats()` result at most `statsInterval` old. */
  async read(): Promise<GaugeReading | undefined> {
    if (this.isClosed()) {
      this.forget();
      return undefined;
    }
    const reading: GaugeReading = { attributes: this.attributes() };
    const { isReady, circuit } = this.describeTarget();
    if (isReady !== undefined) reading.connectionReady = isReady() ? 1 : 0;
    if (circuit !== undefined) {
      // Read in process: while the breaker is open getStats() is refused.
      const { state, opens, refused } = circuit();
      reading.circuitState = CIRCUIT_STATE_VALUES[state];
      reading.circuitOpens = opens;
      reading.circuitRefused = refused;
    }
    const stats = await this.freshStats();
    if (stats !== undefined) {
      reading.keys = numberOrUndefined(stats.totalKeys);
      reading.expiringKeys = numberOrUndefined(stats.expiringKeys);
      reading.nearCacheHits = numberOrUndefined(stats.nearCache?.hits);
      reading.nearCacheInvalidations = numberOrUndefined(stats.nearCache?.invalidations);
    }
    return reading;
  }

  private freshStats(): Promise<StatsFields | undefined> {
    const now = performance.now();
    if (this.lastStats !== undefined && now - this.lastStats.at < this.statsIntervalMs) {
      return Promise.resolve(this.lastStats.value);
    }
    // Concurrent collections (two readers) share one getStats call.
    this.pendingStats ??= this.readStats()
      .then(
        (value) => {
          this.lastStats = { at: performance.now(), value };
          return value;
        },
        // A store that cannot answer now (Redis down) reports no key counts this time.
        () => undefined,
      )
      .finally(() => {
        this.pendingStats = undefined;
      });
    return this.pendingStats;
  }

  private startSpan(
    api: OtelApiModule,
    operation: string,
    details: OperationDetails,
  ): Span | undefined {
    const tracer = this.tracerOf(api);
    if (tracer === undefined) return undefined;
    const attributes: Attributes = { ...this.operationAttributesOf(operation) };
    if (details.batchSize !== undefined) attributes[ATTR.batchSize] = details.batchSize;
    const prefix = this.keyPrefixOf(details.key);
    if (prefix !== undefined) attributes[ATTR.keyPrefix] = prefix;
    return tracer.startSpan(
      `kv.${operation}`,
      {
        kind: this.subject.backend === 'memory' ? api.SpanKind.INTERNAL : api.SpanKind.CLIENT,
        attributes,
      },
      api.context.active(),
    );
  }

  private failed(
    api: OtelApiModule,
    operation: string,
    span: Span | undefined,
    error: unknown,
    started: number | undefined,
  ): void {
    const type = errorType(error);
    // The message names the key, so neither it nor the exception goes into the span.
    span?.setAttribute(ATTR.errorType, type);
    span?.setStatus({ code: api.SpanStatusCode.ERROR, message: type });
    if (!metricsRegistered()) return;
    const attributes = { ...this.operationAttributesOf(operation), [ATTR.errorType]: type };
    const instruments = instrumentsOf(api);
    instruments.errors.add(1, attributes);
    if (started !== undefined) {
      instruments.duration.record((performance.now() - started) / 1000, attributes);
    }
  }

  private recordDuration(api: OtelApiModule, operation: string, started: number): void {
    if (!metricsRegistered()) return;
    instrumentsOf(api).duration.record(
      (performance.now() - started) / 1000,
      this.operationAttributesOf(operation),
    );
  }

  private operationAttributesOf(operation: string): Attributes {
    let attributes = this.operationAttributes.get(operation);
    if (attributes === undefined) {
      attributes = { ...this.attributes(), [ATTR.dbOperation]: operation };
      this.operationAttributes.set(operation, attributes);
    }
    return attributes;
  }

  private keyPrefixOf(key: string | undefined): string | undefined {
    const delimiter = this.keyPrefixDelimiter;
    if (delimiter === undefined || typeof key !== 'string') return undefined;
    const at = key.indexOf(delimiter);
    // No delimiter: the prefix would be the whole key, which must never be recorded.
    if (at < 0 || at + delimiter.length >= key.length) return undefined;
    return key.slice(0, at + delimiter.length);
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
