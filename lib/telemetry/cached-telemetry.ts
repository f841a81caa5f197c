import type { Context, Span } from '@opentelemetry/api';
import { ATTR } from './attribute-names.js';
import { errorType } from './error-type.js';
import { telemetryOf } from './instrument-store.js';
import { instrumentsOf } from './instruments.js';
import { metricsRegistered, otelApi, sdkRegistered, type OtelApiModule } from './otel-api.js';

/**
 * How a `@Cached` or `getOrSet` call was answered: from the store (`hit`), by running the loader
 * (`miss`), by joining a running call (`coalesced`), from an expired entry while it is refreshed
 * (`stale`), or from a value within `grace` because the loader failed or was slow or the store
 * could not be asked (`grace`).
 */
export type CachedOutcome = 'hit' | 'miss' | 'coalesced' | 'stale' | 'grace';

/** The `@Cached` call a context belongs to, so outcomes land on that call's span. */
interface CachedCallScope {
  readonly method: string;
  readonly span: Span;
}

let scopeKey: symbol | undefined;

function scopeKeyOf(api: OtelApiModule): symbol {
  scopeKey ??= api.createContextKey('nestjs-kv-store @Cached call');
  return scopeKey;
}

/**
 * Runs one `@Cached` call (`run(args)`) in a span named `cached <Class.method>` that is the active
 * span while the call reads the store, runs the method and writes its result, so the store spans
 * are its children. Without an SDK, or on a store with `telemetry: false`, it only calls `run`.
 */
export function traceCachedCall<A, R>(
  store: object,
  method: string,
  run: (args: A) => Promise<R>,
  args: A,
): Promise<R> {
  if (!sdkRegistered()) return run(args);
  const telemetry = telemetryOf(store);
  const api = otelApi();
  const tracer = api === undefined ? undefined : telemetry?.tracerOf(api);
  if (api === undefined || telemetry === undefined || tracer === undefined) return run(args);
  const active = api.context.active();
  const span = tracer.startSpan(
    `cached ${method}`,
    {
      kind: api.SpanKind.INTERNAL,
      attributes: { ...telemetry.attributes(), [ATTR.cachedMethod]: method },
    },
    active,
  );
  const scope: CachedCallScope = { method, span };
  const context = api.trace.setSpan(active, span).setValue(scopeKeyOf(api), scope);
  return api.context.with(context, run, undefined, args).then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      const type = errorType(error);
      span.setAttribute(ATTR.errorType, type);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: type });
      span.end();
      throw error;
    },
  );
}

/** Counts how a `@Cached` call of `method` was answered and marks the call's span with it. */
export function recordCachedOutcome(store: object, method: string, outcome: CachedOutcome): void {
  const api = activeApiFor(store);
  if (api === undefined) return;
  const scope = scopeOf(api, api.context.active(), method);
  scope?.span.setAttribute(ATTR.cachedOutcome, outcome);
  if (!metricsRegistered()) return;
  instrumentsOf(api).cachedCalls.add(1, {
    ...attributesOf(store),
    [ATTR.cachedMethod]: method,
    [ATTR.cachedOutcome]: outcome,
  });
}

/** Counts a failed store read or write of a `@Cached` call (the call went on without the cache). */
export function recordCachedStoreError(store: object, method: string, error: unknown): void {
  const api = activeApiFor(store);
  if (api === undefined) return;
  const scope = scopeOf(api, api.context.active(), method);
  scope?.span.setAttribute(ATTR.cachedStoreError, errorType(error));
  if (!metricsRegistered()) return;
  instrumentsOf(api).cachedStoreErrors.add(1, {
    ...attributesOf(store),
    [ATTR.cachedMethod]: method,
    [ATTR.errorType]: errorType(error),
  });
}

function activeApiFor(store: object): OtelApiModule | undefined {
  if (!sdkRegistered() || telemetryOf(store) === undefined) return undefined;
  return otelApi();
}

function attributesOf(store: object) {
  const attributes = telemetryOf(store)?.attributes() ?? {};
  const storeName = attributes[ATTR.storeName];
  return storeName === undefined ? {} : { [ATTR.storeName]: storeName };
}

function scopeOf(
  api: OtelApiModule,
  context: Context,
  method: string,
): CachedCallScope | undefined {
  const scope = context.getValue(scopeKeyOf(api)) as CachedCallScope | undefined;
  // A nested @Cached call of another method runs in its own scope; never mark the outer span.
  return scope?.method === method ? scope : undefined;
}
