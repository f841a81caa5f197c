import { sdkRegistered } from './otel-api.js';
import { StoreTelemetry, type OperationDetails, type TelemetrySubject } from './store-telemetry.js';
import type { TelemetryOptions } from './telemetry-options.js';
import type { TelemetryTarget } from './telemetry-target.js';

/** Methods of a store as telemetry replaces them: at most three arguments, a promise back. */
type Operation = (a?: unknown, b?: unknown, c?: unknown) => Promise<unknown>;
type Iteration = (
  a?: unknown,
  b?: unknown,
  c?: unknown,
) => AsyncGenerator<unknown, void, undefined>;

/** How the arguments of each contract operation describe its span. */
const OPERATIONS = {
  get: key,
  put: key,
  delete: key,
  exists: key,
  putIfAbsent: key,
  increment: key,
  ttl: key,
  rangeGet: (start) => ({ key: start as string, countRows: true }),
  getMany: (keys) => ({ batchSize: sizeOf(keys), countRows: true }),
  deleteMany: (keys) => ({ batchSize: sizeOf(keys) }),
  putMany: (entries) => ({ batchSize: sizeOf(entries) }),
  clear: none,
  getStats: none,
  ping: none,
} satisfies Record<string, (first: unknown) => OperationDetails>;

/** A store operation that telemetry traces (`kv.<operation>` spans and metrics). */
export type TracedOperation = keyof typeof OPERATIONS | 'iterate' | 'close';

/**
 * Every operation telemetry traces. lib/core/traced-operations.ts fails to compile when a method
 * of the `KvStore` contract is missing here, and the telemetry tests call each one.
 */
export const TRACED_OPERATIONS: readonly TracedOperation[] = [
  ...(Object.keys(OPERATIONS) as Array<keyof typeof OPERATIONS>),
  'iterate',
  'close',
];

function key(value: unknown): OperationDetails {
  return { key: value as string };
}

function none(): OperationDetails {
  return {};
}

/** Entries of an array, Map or Set; other iterables are not walked (that would consume them). */
function sizeOf(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  return undefined;
}

/** Store telemetry by store, for `@Cached` and the Nest registry. */
const telemetryByStore = new WeakMap<object, StoreTelemetry>();

/**
 * Instruments the public operations of `store` in place: each becomes a function that, when no
 * OpenTelemetry SDK is registered, calls the original at the cost of one property read, and
 * otherwise runs it in a span and records its metrics. Returns the store's telemetry.
 */
export function instrumentStore(
  store: TelemetrySubject & { readonly isClosed: boolean },
  options: TelemetryOptions,
  describeTarget: () => TelemetryTarget,
): StoreTelemetry {
  const methods = store as unknown as Record<string, Operation | Iteration>;
  const getStats = (methods.getStats as Operation).bind(store);
  const telemetry = new StoreTelemetry(
    store,
    options,
    describeTarget,
    () => getStats() as Promise<object>,
    () => store.isClosed,
  );
  for (const [name, describe] of Object.entries(OPERATIONS)) {
    const original = methods[name] as Operation;
    replace(store, name, (a, b, c) =>
      sdkRegistered()
        ? telemetry.run(name, describe(a), () => original.call(store, a, b, c))
        : original.call(store, a, b, c),
    );
  }
  const iterate = methods.iterate as Iteration;
  replace(store, 'iterate', (a, b, c) =>
    sdkRegistered()
      ? telemetry.iterate({ key: a as string }, iterate.call(store, a, b, c))
      : iterate.call(store, a, b, c),
  );
  const close = methods.close as Operation;
  replace(store, 'close', (a, b, c) => {
    telemetry.closed();
    return sdkRegistered()
      ? telemetry.run('close', {}, () => close.call(store, a, b, c))
      : close.call(store, a, b, c);
  });
  telemetryByStore.set(store, telemetry);
  return telemetry;
}

/** An own, non-enumerable method that shadows the class's: logging a store shows no wrappers. */
function replace(store: object, name: string, method: Operation | Iteration): void {
  Object.defineProperty(store, name, {
    value: method,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/** The telemetry of a store, or undefined when it was created with `telemetry: false`. */
export function telemetryOf(store: object): StoreTelemetry | undefined {
  return telemetryByStore.get(store);
}

/** Sets `kv.store.name` of a store that has telemetry and no name yet (the Nest module's name). */
export function nameStoreTelemetry(store: object, name: string): void {
  telemetryByStore.get(store)?.nameIfUnnamed(name);
}
