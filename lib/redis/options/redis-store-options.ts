import type { ConnectionOptions } from 'node:tls';
import type { CommonStoreOptions } from '../../core/types.js';
import type { NearCacheOptions } from '../near-cache/near-cache-options.js';

/** Address of one Redis server or Sentinel; `host` defaults to `'localhost'`, `port` to the role's usual port. */
export interface RedisNodeAddress {
  /** Host name or IP address. */
  host?: string;
  /** TCP port, 1-65535. */
  port?: number;
}

/** Redis Cluster settings: the seed nodes the client discovers the whole cluster from. */
export interface RedisClusterOptions {
  /** At least one node of the cluster; the client learns the others and the slot map from it. */
  nodes: ReadonlyArray<RedisNodeAddress>;
}

/**
 * Options of the Redis store (`createStore({ type: 'redis', ... })`). One topology per store:
 * standalone (`host`/`port` or `url`), Sentinel (`sentinels` + `sentinelName`) or Cluster (`cluster`).
 */
export interface RedisStoreOptions extends CommonStoreOptions {
  /** Standalone server host (default `'localhost'`). */
  host?: string;
  /** Standalone server port (default 6379). */
  port?: number;
  /** ACL user name (Redis 6+); omitted: the `default` user. */
  username?: string;
  /** Password (`AUTH`); never included in error messages. */
  password?: string;
  /** Database number (default 0); Redis Cluster only has database 0. */
  db?: number;
  /** TLS: `false` (default), `true` (system CAs), or Node `tls.connect` options such as `{ ca }`. */
  ssl?: boolean | ConnectionOptions;
  /** Seconds (default 10) that connecting, and then each command, may take before it fails. */
  timeout?: number;
  /**
   * Most connections this store opens to one Redis server (default 10, at least 1). The store
   * sends every command over one connection per server, folding the gets and puts issued in
   * one tick into one command, so it opens one.
   */
  maxConnections?: number;
  /** Prepended to every key (default `'data_fetcher:'`); may be `''`. */
  keyPrefix?: string;
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS; an alternative to
   * host, port, username, password, db and ssl (each may be given in one place only).
   */
  url?: string;
  /** Sentinel addresses (port default 26379); requires `name`. */
  sentinels?: ReadonlyArray<RedisNodeAddress>;
  /** The primary's name as the Sentinels know it (`sentinel monitor <name> ...`). */
  sentinelName?: string;
  /**
   * The original option name of `sentinelName` (give one of the two). In `KvStoreModule.forRoot`,
   * `name` is the store name, so use `sentinelName` there.
   */
  name?: string;
  /** Redis Cluster: seed nodes. Contradicts `host`, `port`, `url`, `sentinels` and a non-zero `db`. */
  cluster?: RedisClusterOptions;
  /** Seconds (default 1) between background sweeps that prune expired keys from the range index. */
  sweepInterval?: number;
  /**
   * In-process cache of recently read values, kept coherent by Redis client-side caching
   * (`CLIENT TRACKING`); off when omitted. See `docs/near-cache.md`.
   */
  nearCache?: NearCacheOptions;
  /**
   * Largest serialized value a write may send, in bytes (default 64 MiB). A larger value rejects
   * that call with a `SerializationError` naming the key before anything is sent; other calls are
   * unaffected. Redis itself refuses values over `proto-max-bulk-len` (512 MB) by dropping the
   * connection, failing every call in flight.
   */
  maxValueBytes?: number;
  /**
   * Confirm every write on `replicas` replicas (`WAIT`) within `timeout` seconds before it
   * resolves, so that a failover cannot lose it; see {@link RedisDurabilityOptions}.
   */
  durability?: RedisDurabilityOptions;
  /**
   * Fail calls at once with `CircuitOpenError` after repeated connection or timeout failures,
   * instead of letting each one wait up to `timeout` seconds: off by default (or `false`); `true`
   * for the defaults (5 failures, open for 5 s); see {@link CircuitBreakerOptions}.
   */
  circuitBreaker?: boolean | CircuitBreakerOptions;
}

/** Every option name the Redis store accepts, for unknown-option errors. */
export const REDIS_STORE_OPTION_NAMES = [
  'serializer',
  'defaultTtl',
  'telemetry',
  'host',
  'port',
  'username',
  'password',
  'db',
  'ssl',
  'timeout',
  'maxConnections',
  'keyPrefix',
  'url',
  'sentinels',
  'sentinelName',
  'name',
  'cluster',
  'sweepInterval',
  'nearCache',
  'maxValueBytes',
  'durability',
  'circuitBreaker',
] as const;

/**
 * Durability a user can choose for a Redis store: after each write the store asks the server
 * (`WAIT`, on a connection of its own) whether `replicas` replicas hold it, and resolves the
 * write only once they do. Redis replication is asynchronous, so without this a write the
 * primary acknowledged and then lost in a crash before replicating is gone after a failover.
 */
export interface RedisDurabilityOptions {
  /**
   * Replicas that must confirm each write before it resolves: an integer, at least 1, or at
   * least 0 with `localAof`.
   */
  replicas: number;
  /**
   * Also wait until the primary has written each write to its append-only file and fsynced it,
   * and count only replicas that did the same (`WAITAOF`), so that an acknowledged write survives
   * a power loss of the primary and not only a failover. Needs Redis or Valkey 7.2 or later with
   * `appendonly yes` on the primary and on the replicas counted; elsewhere every durable write
   * rejects with `CommandError` naming this option. Default false (`WAIT`, memory of replicas).
   */
  localAof?: boolean;
  /**
   * Seconds to wait for the confirmations; must be less than the store's `timeout`. A write that
   * is not confirmed in time rejects with `TimeoutError`: it is applied on the primary, but a
   * failover may lose it.
   */
  timeout: number;
}

/**
 * The Redis store's circuit breaker (`circuitBreaker`): after `failures` calls in a row failed
 * because Redis could not be reached or did not answer in time, every call fails at once with
 * `CircuitOpenError` for `duration` seconds; then one call is let through, and its outcome closes
 * the breaker or opens it again. See `docs/redis.md#circuit-breaker`.
 */
export interface CircuitBreakerOptions {
  /**
   * Calls in a row (a positive integer, default 5) that must fail with `ConnectionError` or
   * `TimeoutError` within `window` seconds to open the breaker; any answer from Redis resets it.
   */
  failures?: number;
  /**
   * Seconds (default `failures` × the store's `timeout`) within which those failures must fall:
   * the failures of a store that waits for each call in turn are `timeout` apart.
   */
  window?: number;
  /** Seconds (default 5) the breaker stays open before it lets one call through to probe. */
  duration?: number;
}
