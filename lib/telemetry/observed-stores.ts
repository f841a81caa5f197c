import type { Attributes } from '@opentelemetry/api';

/** Figures a store reports to the gauges at one collection; absent figures are not reported. */
export interface GaugeReading {
  /** Attributes that tell the store apart (`db.system.name`, `kv.store.name`, ...). */
  attributes: Attributes;
  keys?: number;
  expiringKeys?: number;
  /** 1 when the connection is ready, 0 when not; absent for stores without a connection. */
  connectionReady?: number;
  nearCacheHits?: number;
  nearCacheInvalidations?: number;
  /** Circuit breaker state: 0 closed, 1 half-open, 2 open; absent without a breaker. */
  circuitState?: number;
  circuitOpens?: number;
  circuitRefused?: number;
}

/** A store the gauges observe. */
export interface ObservedStore {
  /** Its figures now; resolves undefined once the store is closed. */
  read(): Promise<GaugeReading | undefined>;
}

/**
 * Stores with telemetry on that are open. Held weakly: a store the application dropped without
 * closing must not be kept alive by its gauges.
 */
const observed = new Set<WeakRef<ObservedStore>>();
let added = 0;
const SWEEP_EVERY = 1000;

/** Adds a store to the gauges; the returned function removes it (called on close). */
export function observeStore(store: ObservedStore): () => void {
  const ref = new WeakRef(store);
  observed.add(ref);
  // Without a meter provider nothing collects, so stores dropped unclosed are swept here.
  if (++added % SWEEP_EVERY === 0) observedStores();
  return () => {
    observed.delete(ref);
  };
}

/** The observed stores still alive. */
export function observedStores(): ObservedStore[] {
  const alive: ObservedStore[] = [];
  for (const ref of observed) {
    const store = ref.deref();
    if (store === undefined) observed.delete(ref);
    else alive.push(store);
  }
  return alive;
}
