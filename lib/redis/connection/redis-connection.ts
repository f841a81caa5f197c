import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RawValue } from '../../core/types.js';
import { enforceCommandDeadlines } from './command-deadlines.js';
import {
  followReplacedMasters,
  SLOTS_REFRESH_INTERVAL_MS,
  SLOTS_REFRESH_TIMEOUT_MS,
} from './cluster-follow.js';
import type { LeaseScriptCommands } from '../scripts/lease-scripts.js';
import { SCRIPTS } from '../scripts/lua-scripts.js';
import type { ResolvedRedisConfig } from '../options/resolve-redis-options.js';
import { recheckPrimaryOnTimeout } from './sentinel-recheck.js';

/**
 * '1': scripts remove index members whose data key is gone; '0' (Redis Cluster): they leave them,
 * since during a slot migration a data key may already live on another node.
 */
export type PruneFlag = '0' | '1';

/** A key or argument as the scripts take it: index keys and range bounds are not valid UTF-8. */
type Arg = string | Buffer | number;

/** The store's Lua scripts as ioredis exposes them; `*Buffer` variants reply with Buffers. */
export interface ScriptCommands extends LeaseScriptCommands {
  /** Sets data (TTL in ms, 0: none) and indexes member; resolves 1. */
  kvPut(
    data: string,
    index: Buffer,
    member: string,
    value: RawValue,
    ttlMs: number,
  ): Promise<number>;
  /** SET NX (TTL in ms, 0: none) and indexes member when it stored; resolves 1 or 0. */
  kvPutIfAbsent(
    data: string,
    index: Buffer,
    member: string,
    value: RawValue,
    ttlMs: number,
  ): Promise<number>;
  /**
   * Stores each data key of `keys` (after the index, the first) with its value and ttl ms (0:
   * none) from `args` (after the data prefix's byte length) and indexes it; resolves how many.
   */
  kvPutBatch(
    numberOfKeys: number,
    keys: ReadonlyArray<string | Buffer>,
    args: ReadonlyArray<RawValue | number>,
  ): Promise<number>;
  /**
   * Deletes each data key of `keys` (after the index, the first) and its index entry; resolves
   * how many existed.
   */
  kvDeleteMany(
    numberOfKeys: number,
    keys: ReadonlyArray<string | Buffer>,
    prefixBytes: number,
  ): Promise<number>;
  /** Deletes data and its index entry; resolves 1 when data existed. */
  kvDelete(data: string, index: Buffer, member: string): Promise<number>;
  /** INCRBYFLOAT, TTL handling (ms; -1 persist, 0 keep) and indexing; resolves the new decimal text. */
  kvIncrement(
    data: string,
    index: Buffer,
    member: string,
    by: string,
    ttlMs: number,
    defaultTtlMs: number,
  ): Promise<string>;
  /**
   * Live [member, value, ...] of a ZRANGEBYLEX range (limit 0: all); prune '1' removes dead
   * members, '0' returns them with a null value (see the RANGE script).
   */
  kvRange(
    index: Buffer,
    min: Arg,
    max: Arg,
    limit: number,
    prefix: string,
    prune: PruneFlag,
  ): Promise<Array<string | null>>;
  /** As `kvRange`, replying with Buffers. */
  kvRangeBuffer(
    index: Buffer,
    min: Arg,
    max: Arg,
    limit: number,
    prefix: string,
    prune: PruneFlag,
  ): Promise<Array<Buffer | null>>;
  /**
   * Dead members among `count` after cursor: prune '1' removes them and resolves
   * [next cursor, visited, removed]; '0' resolves [next cursor, visited, 0, ...candidates].
   */
  kvSweep(
    index: Buffer,
    cursor: string,
    count: number,
    prefix: string,
    prune: PruneFlag,
  ): Promise<[string, number, number, ...string[]]>;
  /** Removes the members whose (declared) data key does not exist; resolves how many. */
  kvPruneMissing(numberOfKeys: number, ...keysThenMembers: Array<string | Buffer>): Promise<number>;
  /**
   * Counts live, expiring and foreign-type keys among `count` after cursor; resolves
   * [next cursor, live, expiring, foreign].
   */
  kvCount(
    index: Buffer,
    cursor: string,
    count: number,
    prefix: string,
    prune: PruneFlag,
  ): Promise<[string, number, number, number]>;
  /** The Redis type of each of `count` data keys (`'none'` when missing). */
  kvTypes(count: number, ...keys: string[]): Promise<string[]>;
  /** Deletes up to `count` indexed keys; resolves [live keys deleted, members visited]. */
  kvClear(index: Buffer, count: number, prefix: string): Promise<[number, number]>;
}

/** The ioredis client a store uses, with its scripts. */
export type RedisClient = (Redis | Cluster) & ScriptCommands;

/** Longest pause between reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Reconnects forever with a short exponential backoff, never waiting longer than the command
 * timeout, so a server that comes back is used again within about one `timeout`.
 */
function reconnectDelay(attempt: number, timeoutMs: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS, timeoutMs);
}

/**
 * Opens the ioredis client for a resolved configuration. It connects in the background
 * immediately; commands sent before it is ready wait in ioredis' offline queue, bounded by
 * the command deadline (`timeout`), and every failed connection attempt rejects what is queued
 * (`maxRetriesPerRequest: 0`), so nothing waits longer than `timeout` for a server that is down.
 */
export function createRedisClient(config: ResolvedRedisConfig): RedisClient {
  const connection = connectionOptions(config);
  if (config.topology === 'cluster') {
    const options: ClusterOptions = {
      scripts: SCRIPTS,
      // As for a single server: the store folds concurrent calls per shard itself.
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      clusterRetryStrategy: (attempt) => reconnectDelay(attempt, config.timeoutMs),
      slotsRefreshTimeout: Math.min(config.timeoutMs, SLOTS_REFRESH_TIMEOUT_MS),
      slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
      // TRYAGAIN (keys of a migrating slot split between two nodes) goes back to the store at
      // once: slot-moves.ts sends the command again at its own pace, within the store's timeout,
      // while ioredis' own retries, 100 ms apart, ran into the command deadline.
      retryDelayOnTryAgain: 0,
      // Commands failed by a closed node connection (a replaced master dropped from the slot map)
      // go to the new owner after the refresh this starts, without the default 100 ms pause.
      retryDelayOnFailover: 10,
      redisOptions: connection,
    };
    const cluster = new Cluster(config.addresses, options) as RedisClient;
    followReplacedMasters(cluster as Cluster, config.timeoutMs);
    return cluster;
  }
  const options: RedisOptions = {
    ...connection,
    ...serverOptions(config),
    scripts: SCRIPTS,
    // The store folds concurrent gets and puts itself (CommandBatcher); ioredis' auto-pipelining
    // would add an event-loop turn (setImmediate) to every lone command, which measurably slows a
    // lone GET (bench/notes/investigations.md).
    enableAutoPipelining: false,
    enableOfflineQueue: true,
  };
  const client = new Redis(options);
  enforceCommandDeadlines(client, config.timeoutMs, sentinelRecheck(client, config));
  return client as RedisClient;
}

/**
 * Opens the near cache's invalidation subscriber named `name`: to `node` (a cluster master), or
 * else to the server or Sentinel primary of `config`. It reconnects like the store's client; the
 * near cache subscribes it again itself after each reconnection (it needs the new client id first).
 */
export function createSubscriberConnection(
  config: ResolvedRedisConfig,
  name: string,
  node?: { host: string; port: number },
): Redis {
  const options: RedisOptions = {
    ...connectionOptions(config),
    ...(node === undefined
      ? serverOptions(config)
      : { ...node, retryStrategy: (attempt) => reconnectDelay(attempt, config.timeoutMs) }),
    connectionName: name,
    // Invalidations reach a RESP2 subscriber as messages on __redis__:invalidate; under RESP3
    // they would be push frames of a kind ioredis drops.
    protocol: 2,
    autoResubscribe: false,
    enableOfflineQueue: true,
  };
  const subscriber = new Redis(options);
  enforceCommandDeadlines(
    subscriber,
    config.timeoutMs,
    node === undefined ? sentinelRecheck(subscriber, config) : undefined,
  );
  return subscriber;
}

/** On Sentinel, what a command timeout triggers (see recheckPrimaryOnTimeout); else nothing. */
function sentinelRecheck(connection: Redis, config: ResolvedRedisConfig): (() => void) | undefined {
  return config.topology === 'sentinel' ? recheckPrimaryOnTimeout(connection, config) : undefined;
}

/**
 * Opens the connection that confirms durable writes (see replica-confirmer.ts): to `node` (a
 * cluster master), or else to the server or Sentinel primary of `config`. It reconnects like the
 * store's client and has the same command deadline.
 */
export function createDurabilityConnection(
  config: ResolvedRedisConfig,
  node?: { host: string; port: number },
): Redis {
  const connection = new Redis({
    ...connectionOptions(config),
    ...(node === undefined
      ? serverOptions(config)
      : { ...node, retryStrategy: (attempt) => reconnectDelay(attempt, config.timeoutMs) }),
    connectionName: 'nestjs-kv-store:durability',
    enableOfflineQueue: true,
  });
  enforceCommandDeadlines(
    connection,
    config.timeoutMs,
    node === undefined ? sentinelRecheck(connection, config) : undefined,
  );
  return connection;
}

/** Options every connection of a store shares: credentials, TLS, timeouts, failure handling. */
function connectionOptions(config: ResolvedRedisConfig): RedisOptions {
  return {
    username: config.username,
    password: config.password,
    tls: config.tls,
    connectTimeout: config.timeoutMs,
    // No commandTimeout: enforceCommandDeadlines bounds every command with one timer per connection.
    // A command in flight when the connection drops fails instead of being sent twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // disconnect() ends the socket and arms a fallback timer that destroys it after this many ms;
    // the timer is cleared only by a 'close' still to come, so for a socket that already failed
    // (Redis unreachable) ioredis' default 2000 ms kept the process alive 2 s after close().
    // close() disconnects only after QUIT or when not ready: there is nothing left to flush.
    disconnectTimeout: 0,
    connectionName: 'nestjs-kv-store',
  };
}

/** Where a standalone or Sentinel connection goes, and how it reconnects. */
function serverOptions(config: ResolvedRedisConfig): RedisOptions {
  const options: RedisOptions = {
    db: config.db,
    retryStrategy: (attempt) => reconnectDelay(attempt, config.timeoutMs),
  };
  if (config.topology === 'sentinel') {
    options.sentinels = config.addresses;
    options.name = config.name;
    options.sentinelCommandTimeout = config.timeoutMs;
    options.sentinelRetryStrategy = (attempt) => reconnectDelay(attempt, config.timeoutMs);
    options.enableTLSForSentinelMode = config.tls !== undefined;
    // Subscribes to +switch-master on the Sentinels and reconnects when one is announced: a
    // primary that is paused rather than dead keeps its connections open through its failover.
    options.failoverDetector = true;
    options.sentinelReconnectStrategy = (attempt) => reconnectDelay(attempt, config.timeoutMs);
    // After a failover the old primary answers READONLY until the client reconnects, and a
    // reconnection asks the Sentinels for the new primary.
    options.reconnectOnError = (error) => error.message.startsWith('READONLY');
  } else {
    const address = config.addresses[0];
    options.host = address?.host;
    options.port = address?.port;
  }
  return options;
}
