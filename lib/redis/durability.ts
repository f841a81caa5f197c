import type { Cluster, Redis } from 'ioredis';
import { InvalidOptionsError, TimeoutError, quoteKey } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import { clusterTags, keySlot } from './key-layout.js';
import type { RedisTopology } from './resolve-redis-options.js';

/**
 * Durability a user can choose for a Redis store: after each write the store sends
 * `WAIT replicas timeout` on the connection that wrote, and resolves the write only once that many
 * replicas confirm they hold it. Redis replication is asynchronous, so without this a write the
 * primary acknowledged and then lost in a crash before replicating is gone after a failover.
 */
export interface RedisDurabilityOptions {
  /** Replicas that must confirm each write before it resolves (an integer, at least 1). */
  replicas: number;
  /**
   * Seconds to wait for the confirmations; must be less than the store's `timeout`. A write that
   * is not confirmed in time rejects with `TimeoutError`: it is applied on the primary, but a
   * failover may lose it.
   */
  timeout: number;
}

/** Validated durability settings. */
export interface ResolvedDurability {
  /** Replicas that must confirm each write. */
  replicas: number;
  /** How long WAIT may block, in milliseconds. */
  timeoutMs: number;
}

const DURABILITY_OPTION_NAMES = ['replicas', 'timeout'];

/**
 * Validates the `durability` option; undefined when it is not given. Throws
 * {@link InvalidOptionsError} naming the field at fault.
 */
export function resolveDurability(
  value: unknown,
  storeTimeoutMs: number,
): ResolvedDurability | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(
      `durability must be an object { replicas, timeout }; got ${describeValue(value)}`,
    );
  }
  for (const name of Object.keys(value)) {
    if (!DURABILITY_OPTION_NAMES.includes(name)) {
      throw new InvalidOptionsError(
        `durability.${name} is not an option; durability takes replicas and timeout`,
      );
    }
  }
  const { replicas, timeout } = value as Partial<RedisDurabilityOptions>;
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < 1) {
    throw new InvalidOptionsError(
      `durability.replicas must be an integer of at least 1; got ${describeValue(replicas)}`,
    );
  }
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidOptionsError(
      `durability.timeout must be a positive number of seconds; got ${describeValue(timeout)}`,
    );
  }
  const timeoutMs = Math.max(1, Math.round(timeout * 1000));
  if (timeoutMs >= storeTimeoutMs) {
    throw new InvalidOptionsError(
      `durability.timeout (${timeout} s) must be less than timeout (${storeTimeoutMs / 1000} s), which bounds every command including WAIT`,
    );
  }
  return { replicas, timeoutMs };
}

/** What {@link DurableWrites} needs from the store. */
export interface DurabilityTarget {
  /** The connection that sends the writes of `shard` (on a cluster, the master owning its slot). */
  connectionOf(shard: number): Redis | Cluster;
  /** What messages call the server. */
  readonly target: string;
}

/**
 * Confirms writes with `WAIT`: one WAIT per command the store sends, so the puts of one tick that
 * the store folds into one script call are confirmed together.
 */
export class DurableWrites {
  constructor(
    private readonly settings: ResolvedDurability,
    private readonly store: DurabilityTarget,
  ) {}

  /**
   * Resolves what `write` resolves, once `replicas` replicas hold it; rejects with
   * `TimeoutError` naming `what` (a key, or how many) when fewer confirm within the timeout.
   * WAIT is sent after the write's reply, so that it follows the write on the same connection
   * even when a cluster client held the write back in its queue.
   */
  async confirm<T>(shard: number, write: Promise<T>, what: string): Promise<T> {
    const result = await write;
    const { replicas, timeoutMs } = this.settings;
    const connection = this.store.connectionOf(shard) as Redis;
    const confirmed = await connection.wait(replicas, timeoutMs);
    if (confirmed < replicas) {
      throw new TimeoutError(
        `Redis at ${this.store.target} confirmed the write of ${what} on ${confirmed} of ${replicas} replicas within ${timeoutMs / 1000} s (durability): it is applied on the primary, but a failover may lose it`,
      );
    }
    return result;
  }

  /** How a message names the keys of one write: the key, or how many. */
  static describeKeys(keys: readonly string[]): string {
    return keys.length === 1 ? `key ${quoteKey(keys[0] as string)}` : `${keys.length} keys`;
  }
}

/**
 * The connection that sends the writes of `shard`: the client itself, or on a cluster the master
 * that owns the shard's hash slot (WAIT counts the writes of the connection it is sent on).
 */
export function writeConnectionOf(
  client: Redis | Cluster,
  topology: RedisTopology,
  shard: number,
): Redis | Cluster {
  if (topology !== 'cluster') return client;
  const cluster = client as Cluster;
  const owner = cluster.slots[keySlot(clusterTags()[shard] as string)]?.[0];
  const node = cluster
    .nodes('master')
    .find(({ options }) => `${options.host}:${options.port}` === owner);
  return node ?? cluster;
}
