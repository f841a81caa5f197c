/** What a backend tells telemetry about where its operations go; every field is optional. */
export interface TelemetryTarget {
  /** Host name of the server (`server.address`), when the store talks to one server. */
  serverAddress?: string;
  /** TCP port of the server (`server.port`). */
  serverPort?: number;
  /** Database number or name (`db.namespace`). */
  namespace?: string;
  /** Redis deployment (`kv.redis.topology`): standalone, sentinel or cluster. */
  topology?: string;
  /** Whether the connection is ready now, for the `kv.store.connection.ready` gauge. */
  isReady?: () => boolean;
  /** A circuit breaker's figures now, for the `kv.store.circuit.*` instruments; absent without one. */
  circuit?: () => CircuitReading;
}

/** What telemetry reads of a store's circuit breaker. */
export interface CircuitReading {
  /** `'closed'`, `'open'` or `'half-open'`. */
  state: 'closed' | 'open' | 'half-open';
  /** Times it opened since the store was created. */
  opens: number;
  /** Calls it refused since the store was created. */
  refused: number;
}
