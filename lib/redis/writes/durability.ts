import { Redis, type Cluster } from 'ioredis';
import { quoteKey } from '../../core/errors.js';
import { clusterTags, keySlot } from '../index/key-layout.js';
import { translateRedisError } from '../connection/redis-errors.js';
import type { ResolvedDurability } from '../options/durability-options.js';
import type { RedisTopology, ResolvedRedisConfig } from '../options/resolve-redis-options.js';
import { ReplicaConfirmer, peerOf, unconfirmedError } from './replica-confirmer.js';

/** What {@link DurableWrites} needs from the store. */
export interface DurabilityTarget {
  /** The connection that sends the writes of `shard` (on a cluster, the master owning its slot). */
  connectionOf(shard: number): Redis | Cluster;
  /** Opens a confirmation connection to `node` (a cluster master), or else to the store's server. */
  openConnection(node?: { host: string; port: number }): Redis;
  /** The probe key of `shard` (see replica-confirmer.ts). */
  probeKeyOf(shard: number): Buffer;
  /** Whether the store is a cluster: one confirmation connection per master. */
  readonly cluster: boolean;
  /** What messages call the server. */
  readonly target: string;
  /** Why a command of `connection` failed (`lastError`: its last connection error), in words. */
  describeFailure(error: unknown, connection: Redis, lastError: Error | undefined): string;
}

/**
 * Confirms writes with `WAIT` (`WAITAOF` with `localAof`) on connections of their own (one per server; on a cluster one per
 * master), never on the connection that sends the store's commands: there a WAIT would hold every
 * command behind it, reads included, for as long as a stalled replica makes it wait. The writes
 * answered while a confirmation round runs are confirmed together by the next one (see
 * {@link ReplicaConfirmer}).
 */
export class DurableWrites {
  private readonly confirmers = new Map<string, ReplicaConfirmer>();
  private closed = false;

  constructor(
    private readonly settings: ResolvedDurability,
    private readonly store: DurabilityTarget,
  ) {}

  /**
   * Resolves what `write` resolves, once `replicas` replicas hold it; rejects with
   * `TimeoutError` naming `what` (a key, or how many) when fewer confirm within the timeout.
   * The confirmation starts once the write is answered, so that it covers the write.
   */
  async confirm<T>(shard: number, write: Promise<T>, what: string): Promise<T> {
    const result = await write;
    const writer = this.store.connectionOf(shard);
    const node = writer instanceof Redis ? writer : undefined;
    const { replicas } = this.settings;
    if (this.closed) {
      throw unconfirmedError(this.store.target, what, replicas, 'the store was closed');
    }
    if (node === undefined) {
      throw unconfirmedError(this.store.target, what, replicas, 'no known master owns its slot');
    }
    const writtenOn = peerOf(node);
    await this.confirmerFor(node).confirm(what, writtenOn, this.store.probeKeyOf(shard));
    return result;
  }

  /** Rejects the writes still waiting for confirmations and closes the connections. */
  close(): void {
    this.closed = true;
    for (const confirmer of this.confirmers.values()) confirmer.close();
    this.confirmers.clear();
  }

  /** The confirmer of the server `writer` is connected to (created on first use). */
  private confirmerFor(writer: Redis): ReplicaConfirmer {
    const address = this.store.cluster
      ? { host: writer.options.host as string, port: writer.options.port as number }
      : undefined;
    const name = address === undefined ? '' : `${address.host}:${address.port}`;
    let confirmer = this.confirmers.get(name);
    if (confirmer === undefined) {
      const { replicas, localAof, timeoutMs } = this.settings;
      confirmer = new ReplicaConfirmer(this.store.openConnection(address), {
        replicas,
        localAof,
        timeoutMs,
        target: this.store.target,
        describeFailure: (error, connection, lastError) =>
          this.store.describeFailure(error, connection, lastError),
      });
      this.confirmers.set(name, confirmer);
    }
    return confirmer;
  }

  /** How a message names the keys of one write: the key, or how many. */
  static describeKeys(keys: readonly string[]): string {
    return keys.length === 1 ? `key ${quoteKey(keys[0] as string)}` : `${keys.length} keys`;
  }
}

/**
 * The connection that sends the writes of `shard`: the client itself, or on a cluster the master
 * that owns the shard's hash slot (its confirmations go to that server).
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

/** Why a command of a confirmation connection failed, in words (never the password). */
export function describeConfirmFailure(
  error: unknown,
  connection: Redis,
  lastError: Error | undefined,
  config: Pick<ResolvedRedisConfig, 'target' | 'timeoutMs' | 'password'>,
): string {
  return translateRedisError(error, {
    target: config.target,
    timeoutMs: config.timeoutMs,
    password: config.password,
    isReady: () => connection.status === 'ready',
    lastConnectionError: () => lastError,
  }).message;
}
