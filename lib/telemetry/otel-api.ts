import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as this library uses it. */
export type OtelApiModule = typeof OtelApi;

/**
 * `@opentelemetry/api` is an optional peer dependency: an app that does not install it must still
 * load this library. It is required lazily, on the first operation after an SDK registered itself
 * (which needs the API, so it is then installed), and never imported at module load.
 */
let loaded: OtelApiModule | null | undefined;

/** The OpenTelemetry API, or undefined when the package is not installed. */
export function otelApi(): OtelApiModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApiModule;
    } catch {
      // Not installed: telemetry stays off for the life of the process.
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * The object the API (any copy of major version 1) registers its global providers in; see
 * `internal/global-utils` of `@opentelemetry/api`. Reading it is a property load, which is what
 * lets every store operation ask "is an SDK registered?" without allocating or calling the API.
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

interface OtelGlobals {
  trace?: unknown;
  metrics?: unknown;
}

/** True when an SDK registered a global tracer provider or meter provider. */
export function sdkRegistered(): boolean {
  const globals = (globalThis as { [GLOBAL_KEY]?: OtelGlobals })[GLOBAL_KEY];
  return globals !== undefined && (globals.trace !== undefined || globals.metrics !== undefined);
}

/** True when an SDK registered a global tracer provider. */
export function tracingRegistered(): boolean {
  return (globalThis as { [GLOBAL_KEY]?: OtelGlobals })[GLOBAL_KEY]?.trace !== undefined;
}

/** True when an SDK registered a global meter provider. */
export function metricsRegistered(): boolean {
  return (globalThis as { [GLOBAL_KEY]?: OtelGlobals })[GLOBAL_KEY]?.metrics !== undefined;
}
