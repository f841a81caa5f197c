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

/**
 * The registration object once the API created it (it then lives as long as the process; the API
 * only deletes properties from it). Until then, a keyed load from `globalThis` costs several times
 * a plain property load, so it is repeated only every {@link RECHECK_EVERY} operations: an SDK
 * registered after the first operations is picked up within that many operations.
 */
let globals: OtelGlobals | undefined;
let sinceCheck = 0;
const RECHECK_EVERY = 256;

function otelGlobals(): OtelGlobals | undefined {
  if (globals !== undefined) return globals;
  if (sinceCheck-- > 0) return undefined;
  sinceCheck = RECHECK_EVERY - 1;
  globals = (globalThis as { [GLOBAL_KEY]?: OtelGlobals })[GLOBAL_KEY];
  return globals;
}

/** True when an SDK registered a global tracer provider or meter provider. */
export function sdkRegistered(): boolean {
  const found = otelGlobals();
  return found !== undefined && (found.trace !== undefined || found.metrics !== undefined);
}

/** True when an SDK registered a global tracer provider. */
export function tracingRegistered(): boolean {
  return otelGlobals()?.trace !== undefined;
}

/** True when an SDK registered a global meter provider. */
export function metricsRegistered(): boolean {
  return otelGlobals()?.metrics !== undefined;
}
