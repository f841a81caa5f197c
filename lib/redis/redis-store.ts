import { isUtf8 } from 'node:buffer';
import { KvStore } from '../core/kv-store.js';
import { DeserializationError } from '../core/errors.js';
import type { LeaseCapable } from '../core/lease.js';
import type { ServerReadCapable } from '../core/server-reads.js';
import { assertKeys } from '../core/validation.js';
import type { KeyRange, RawValue } from '../core/types.js';
import { serializerName } from '../core/resolve-serializer.js';
import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import { CommandBatcher, storeBatchSender } from './command-batcher.js';
import type { CircuitBreakerStats } from './connection/circuit-breaker.js';
import { shutDown } from './connection/shutdown.js';
import { untilReady } from './connection/until-ready.js';
import { IndexSweeper } from './index/index-sweeper.js';
import type { KeyLayout } from './index/key-layout.js';
import { sweepShardStep } from './index/migration-safe-index.js';
import { createNearCache } from './near-cache/create-near-cache.js';
import type { NearCache, TimedRaw } from './near-cache/near-cache.js';
import { nearCacheForm, ownWrite } from './near-cache/own-writes.js';
import { fetchTimedMany } from './near-cache/timed-reads.js';
import type { RedisStoreOptions } from './options/redis-store-options.js';
import type { RedisTopology } from './options/resolve-redis-options.js';
import { assertValueSize } from './options/value-size.js';
import { foreignTypeError, isForeignTypeMarker } from './reads/foreign-types.js';
import { readMany } from './reads/read-many.js';
import { readRange } from './reads/redis-range.js';
import { RedisLeases } from './redis-leases.js';
import { collectRedisStats, type RedisStoreStats } from './redis-stats.js';
import { RedisStoreContext } from './redis-store-context.js';
import { RedisWrites } from './writes/redis-writes.js';
import { readEachWhileSlotMoves } from './writes/slot-moves.js';

export type { RedisNodeStats, RedisStoreStats } from './redis-stats.js';

/**
 * The Redis store (standalone, Sentinel or Cluster) on ioredis. Data key k lives at
 * `keyPrefix + k` (on a cluster at `keyPrefix + "{tag}" + k`); a sorted-set index beside the data
 * serves range queries. Every single-key operation is one round trip; writes that touch the index
 * run as Lua scripts by SHA, or for batches of puts as MULTI/EXEC transactions, so data and index
 * change atomically. The constructor never waits:
 * the client connects in the background (see {@link RedisStore.connect}) and reconnects forever.
 */
export class RedisStore extends KvStore implements LeaseCapable, ServerReadCapable {
  /** Always `'redis'`. */
  readonly backend = 'redis' as const;
  /** Leases live in Redis, so every process on the same server and prefix sees them. */
  readonly leasesSharedAcrossProcesses = true;
  /** Which deployment this store talks to. */
  readonly topology: RedisTopology;

  /** What the pieces below share: options, layout, client and the wrappers of every command. */
  private readonly context: RedisStoreContext;
  private readonly layout: KeyLayout;
  private readonly sweeper: IndexSweeper;
  private readonly batcher: CommandBatcher<RawValue | TimedRaw>;
  private readonly near: NearCache | undefined;
  private readonly binary: boolean;
  private readonly leases: RedisLeases;
  private readonly writes: RedisWrites;

  /**
   * Creates the store and starts connecting in the background. Throws `InvalidOptionsError` for
   * unknown, invalid or contradictory options (before any connection is opened).
   */
  constructor(options: RedisStoreOptions = {}) {
    super(options ?? {});
    const context = new RedisStoreContext(options, {
      defaultTtlMs: this.defaultTtlMs,
      isClosed: () => this.isClosed,
    });
    this.context = context;
    this.topology = context.topology;
    this.layout = context.layout;
    this.binary = this.serializer.binary === true;
    this.near =
      context.config.nearCache &&
      createNearCache(
        this,
        context.config,
        context.config.nearCache,
        context.rawClient,
        (_key, raw) => nearCacheForm(raw, this.binary),
      );
    this.batcher = new CommandBatcher(storeBatchSender(context));
    context.useBatcher(this.batcher);
    this.sweeper = new IndexSweeper(
      {
        shardCount: this.layout.shards.length,
        isReady: () => context.readyForBackgroundWork(),
        sweepShard: (shard, cursor, count) =>
          context.guard(
            sweepShardStep(
              context.client(),
              context.shard(shard),
              cursor,
              count,
              context.pruneFlag,
            ),
          ),
      },
      context.config.sweepIntervalMs,
    );
    this.sweeper.start();
    this.leases = new RedisLeases(context);
    this.writes = new RedisWrites(context);
  }

  /** Takes the lease `name` for `token` for `ttlMs` ms unless another process holds it (`SET NX PX`). */
  async tryLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    return this.context.whenAdmitted(() => this.leases.tryLease(name, token, ttlMs));
  }

  /** Extends the lease `name` to `ttlMs` ms from now while `token` holds it. */
  async renewLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    return this.context.whenAdmitted(() => this.leases.renewLease(name, token, ttlMs));
  }

  /** Releases the lease `name` while `token` holds it. */
  async releaseLease(name: string, token: string): Promise<boolean> {
    this.assertOpen();
    return this.context.whenAdmitted(() => this.leases.releaseLease(name, token));
  }

  /**
   * Values of `keys` read from Redis, never from the near cache (and not kept in it): for data
   * other processes change to coordinate with this one, whose invalidation may still be on its way.
   */
  async getManyFromServer<T = unknown>(keys: readonly string[]): Promise<Array<T | undefined>> {
    this.assertOpen();
    assertKeys(keys);
    if (keys.length === 0) return [];
    const raws = await this.readManyFromServer(keys);
    return raws.map((raw, i) =>
      raw === undefined ? undefined : (this.decode(keys[i] as string, raw) as T),
    );
  }

  /**
   * Resolves once the connection is ready; rejects with `ConnectionError` (naming the server,
   * never the password) when a connection attempt fails or `timeout` seconds pass. The store keeps
   * reconnecting in the background either way; callers that do not want to wait at start-up
   * simply do not call this.
   */
  async connect(): Promise<void> {
    this.assertOpen();
    await untilReady(this.context.rawClient, this.context.commands.errors);
  }

  /** Runs one pass of the background index sweep now; resolves how many stale entries it pruned. */
  sweepIndex(): Promise<number> {
    this.assertOpen();
    return this.context.whenAdmitted(() => this.context.track(this.sweeper.sweep()));
  }

  /**
   * Counts this store's keys (walking its index) and reports server figures; see
   * {@link RedisStoreStats}. While the circuit breaker is open it rejects with `CircuitOpenError`
   * like every call that needs Redis: {@link RedisStore.circuitBreakerStats} answers then.
   */
  override async getStats(): Promise<RedisStoreStats> {
    return (await super.getStats()) as RedisStoreStats;
  }

  /**
   * The circuit breaker's state and counts, read in process (also while it is open, when
   * `getStats()` is refused); undefined without the `circuitBreaker` option.
   */
  circuitBreakerStats(): CircuitBreakerStats | undefined {
    return this.context.circuitStats();
  }

  protected override describeTelemetryTarget(): TelemetryTarget {
    return this.context.telemetryTarget();
  }

  protected readRaw(key: string): RawValue | Promise<RawValue | undefined> {
    const { near, context } = this;
    if (near === undefined) {
      // Without the near cache the batcher's reads bring raw values.
      return context.whenAdmitted(() =>
        context.guard(this.batcher.get(this.layout.shardOf(key), key) as Promise<RawValue>, key),
      );
    }
    // A near-cache hit needs no Redis, so the breaker is asked only on a miss.
    return (
      near.hit(key) ??
      context.whenAdmitted(() =>
        context.guard(
          near.read(
            key,
            (k) => this.batcher.get(this.layout.shardOf(k), k) as Promise<TimedRaw | undefined>,
          ),
          key,
        ),
      )
    );
  }

  protected readManyRaw(keys: readonly string[]): Promise<Array<RawValue | undefined>> {
    const { context } = this;
    if (this.near) {
      return this.near.readMany(keys, (missing) =>
        context.whenAdmitted(() =>
          readPerShard(this.layout, missing, (names) =>
            context.guard(
              readEachWhileSlotMoves(names, (some) => fetchTimedMany(context.client(), some)),
            ),
          ),
        ),
      );
    }
    return this.readManyFromServer(keys);
  }

  private readManyFromServer(keys: readonly string[]): Promise<Array<RawValue | undefined>> {
    const { context } = this;
    return context.whenAdmitted(() =>
      readPerShard(this.layout, keys, (names) =>
        context.guard<Array<RawValue | null>>(
          readEachWhileSlotMoves(
            names,
            (some) => readMany(context.client(), some) as Promise<Array<Buffer | null>>,
          ),
        ),
      ),
    );
  }

  protected writeRaw(key: string, raw: RawValue, ttlMs: number | null): Promise<void> {
    return this.ownWrite([key], () =>
      this.context.guard(this.batcher.put(this.layout.shardOf(key), key, raw, ttlMs ?? 0)),
    );
  }

  protected async writeManyRaw(
    entries: ReadonlyArray<[string, RawValue]>,
    ttlMs: number | null,
  ): Promise<void> {
    const keys = this.near ? entries.map(([key]) => key) : [];
    await this.ownWrite(keys, () => this.writes.putMany(entries, ttlMs));
  }

  protected writeRawIfAbsent(key: string, raw: RawValue, ttlMs: number | null): Promise<boolean> {
    return this.ownWrite([key], () => this.writes.putIfAbsent(key, raw, ttlMs));
  }

  protected incrementRaw(
    key: string,
    by: number,
    ttlMs: number | null | undefined,
  ): Promise<number> {
    return this.ownWrite([key], () => this.writes.increment(key, by, ttlMs));
  }

  protected deleteRaw(key: string): Promise<boolean> {
    return this.ownWrite([key], () => this.writes.delete(key));
  }

  protected deleteManyRaw(keys: readonly string[]): Promise<number> {
    return this.ownWrite(keys, () => this.writes.deleteMany(keys));
  }

  protected async existsRaw(key: string): Promise<boolean> {
    const { context } = this;
    const name = this.layout.shardFor(key).dataPrefix + key;
    return (await context.whenAdmitted(() => context.guard(context.client().exists(name)))) === 1;
  }

  protected async ttlRaw(key: string): Promise<number | null | undefined> {
    const { context } = this;
    const name = this.layout.shardFor(key).dataPrefix + key;
    const ms = await context.whenAdmitted(() => context.guard(context.client().pttl(name)));
    if (ms === -2) return undefined;
    return ms === -1 ? null : ms;
  }

  protected rangeRaw(
    range: KeyRange,
    limit: number | undefined,
  ): Promise<Array<[string, RawValue]>> {
    return this.context.whenAdmitted(() => readRange(this.context, range, limit));
  }

  protected clearRaw(): Promise<number> {
    return this.ownWrite(null, () => this.writes.clear());
  }

  protected statsRaw(): Promise<RedisStoreStats> {
    return this.context
      .whenAdmitted(() => this.statsOfRedis())
      .then((stats) => {
        const circuit = this.context.circuitStats();
        return circuit ? { ...stats, circuit } : stats;
      });
  }

  private statsOfRedis(): Promise<RedisStoreStats> {
    return this.context.track(
      collectRedisStats(this.context, serializerName(this.serializer)).then((stats) =>
        this.near ? { ...stats, nearCache: this.near.stats() } : stats,
      ),
    );
  }

  protected async pingRaw(): Promise<void> {
    const { context } = this;
    await context.whenAdmitted(() => context.guard(context.client().ping()));
  }

  protected async closeRaw(): Promise<void> {
    const { context } = this;
    context.slotMoves.close();
    try {
      await shutDown({
        near: this.near,
        sweeper: this.sweeper,
        multiStep: context.running,
        batcher: this.batcher,
        client: context.rawClient,
        timeoutMs: context.config.timeoutMs,
        abandonUnanswered: () => context.commands.abandonUnanswered(),
      });
    } finally {
      // Confirmations still waiting when close() gave up reject.
      context.closeConfirmations();
    }
  }

  /**
   * Runs a write of `keys` (null: every key) the near cache must not serve stale (see
   * own-writes.ts), once the circuit breaker lets it through: a refused write touches nothing.
   */
  private ownWrite<T>(keys: readonly string[] | null, write: () => Promise<T>): Promise<T> {
    return this.context.whenAdmitted(() => ownWrite(this.near, keys, write));
  }

  /** Serializes as every store does, then refuses a value over `maxValueBytes` before sending it. */
  protected override encode(key: string, value: unknown): RawValue {
    const raw = super.encode(key, value);
    assertValueSize(key, raw, this.context.maxValueBytes);
    return raw;
  }

  /** Values are read as bytes; a text serializer gets them as text once they proved to be UTF-8. */
  protected override decode(key: string, raw: RawValue): unknown {
    // Reads that fold several keys into one script reply another Redis type as [type].
    if (isForeignTypeMarker(raw)) throw foreignTypeError(key, raw[0]);
    return super.decode(key, this.binary ? raw : storedText(key, raw));
  }
}

/**
 * Reads `keys` with one `fetch` of their Redis names per shard, the shards in parallel; resolves
 * their values in the order of `keys` (undefined where `fetch` brought null).
 */
async function readPerShard<V>(
  layout: KeyLayout,
  keys: readonly string[],
  fetch: (names: string[]) => Promise<Array<V | null>>,
): Promise<Array<V | undefined>> {
  const out = new Array<V | undefined>(keys.length);
  await Promise.all(
    [...layout.group(keys, (k) => k)].map(async ([shardNumber, positions]) => {
      const { dataPrefix } = layout.shards[shardNumber] as { dataPrefix: string };
      const values = await fetch(positions.map((i) => dataPrefix + (keys[i] as string)));
      positions.forEach((position, j) => {
        out[position] = values[j] ?? undefined;
      });
    }),
  );
  return out;
}

/**
 * The text a text serializer (json, or a custom one without `binary`) is handed for bytes read
 * from Redis. The store reads bytes rather than letting the client decode them, because decoding
 * replaces bytes that are not UTF-8 with U+FFFD and a foreign value would then read as garbage
 * instead of failing; `isUtf8` is a single vectorized pass, cheap beside the parse that follows.
 */
function storedText(key: string, raw: RawValue): string {
  if (typeof raw === 'string') return raw;
  if (!isUtf8(raw)) throw new DeserializationError(key, 'the stored bytes are not valid UTF-8');
  return raw.toString('utf8');
}
