import { KvStore } from '../core/kv-store.js';
import type { LeaseCapable } from '../core/lease.js';
import type { ServerReadCapable } from '../core/server-reads.js';
import { assertKeys } from '../core/validation.js';
import type { KeyRange, RawValue } from '../core/types.js';
import { serializerName } from '../core/resolve-serializer.js';
import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import { CommandBatcher } from './command-batcher.js';
import {
  DurableWrites,
  describeConfirmFailure,
  resolveDurability,
  writeConnectionOf,
} from './writes/durability.js';
import { IndexSweeper } from './index/index-sweeper.js';
import { KeyLayout, durabilityProbeKey, type Shard } from './index/key-layout.js';
import { createNearCache } from './near-cache/create-near-cache.js';
import type { NearCache, TimedRaw } from './near-cache/near-cache.js';
import { fetchTimedMany } from './near-cache/timed-reads.js';
import { nearCacheForm, ownWrite } from './near-cache/own-writes.js';
import { readPerShard } from './read-per-shard.js';
import { ScriptedWrites } from './scripts/scripted-writes.js';
import { storeBatchSender } from './store-batch-sender.js';
import { readEachWhileSlotMoves, SlotMoves } from './writes/slot-moves.js';
import { WriteScripts } from './scripts/write-scripts.js';
import {
  createDurabilityConnection,
  createRedisClient,
  type PruneFlag,
  type RedisClient,
} from './connection/redis-connection.js';
import { pruneFlagFor, sweepShardStep, transactionsFor } from './index/migration-safe-index.js';
import { readRange, type RangeContext } from './reads/redis-range.js';
import { RedisWrites, type WriteContext } from './writes/redis-writes.js';
import { untilReady } from './connection/until-ready.js';
import { RedisLeases } from './redis-leases.js';
import { collectRedisStats, type RedisStoreStats } from './redis-stats.js';
import { CommandGuard } from './connection/command-guard.js';
import { CircuitBreaker, type CircuitBreakerStats } from './connection/circuit-breaker.js';
import { resolveCircuitBreaker } from './options/circuit-breaker-options.js';
import { translateRedisError } from './connection/redis-errors.js';
import type { RedisStoreOptions } from './options/redis-store-options.js';
import { redisTelemetryTarget } from './redis-telemetry-target.js';
import { storedText } from './stored-text.js';
import { readMany } from './reads/read-many.js';
import { shutDown } from './connection/shutdown.js';
import { assertValueSize, resolveMaxValueBytes } from './options/value-size.js';
import { foreignTypeError, isForeignTypeMarker } from './reads/foreign-types.js';
import {
  resolveRedisOptions,
  type RedisTopology,
  type ResolvedRedisConfig,
} from './options/resolve-redis-options.js';

export type { RedisNodeStats, RedisStoreStats } from './redis-stats.js';

/** Index members one stats script call handles. */
const SCAN_BATCH = 2000;

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

  private readonly config: ResolvedRedisConfig;
  private readonly layout: KeyLayout;
  private readonly client: RedisClient;
  private readonly sweeper: IndexSweeper;
  /** Sends cluster writes again while their slot moves; told to stop at close(). */
  private readonly slotMoves: SlotMoves;
  private readonly batcher: CommandBatcher<RawValue | TimedRaw>;
  private readonly near: NearCache | undefined;
  private readonly commands: CommandGuard;
  /** Set with the `circuitBreaker` option: asked before every call that needs Redis. */
  private readonly circuit: CircuitBreaker | undefined;
  private readonly binary: boolean;
  private readonly multiStep = new Set<Promise<unknown>>();
  /** Set with the `durability` option: confirms each write with WAIT on connections of its own. */
  private readonly durableWrites: DurableWrites | undefined;
  private readonly leases: RedisLeases;
  private readonly writes: RedisWrites;
  private readonly rangeContext: RangeContext;
  private readonly maxValueBytes: number;
  /** Whether index scripts may prune: not on a cluster (see migration-safe-index.ts). */
  private readonly pruneFlag: PruneFlag;

  /**
   * Creates the store and starts connecting in the background. Throws `InvalidOptionsError` for
   * unknown, invalid or contradictory options (before any connection is opened).
   */
  constructor(options: RedisStoreOptions = {}) {
    super(options ?? {});
    this.config = resolveRedisOptions(options);
    this.maxValueBytes = resolveMaxValueBytes(options.maxValueBytes);
    this.topology = this.config.topology;
    this.pruneFlag = pruneFlagFor(this.topology);
    this.binary = this.serializer.binary === true;
    this.layout =
      this.topology === 'cluster'
        ? KeyLayout.cluster(this.config.keyPrefix)
        : KeyLayout.single(this.config.keyPrefix);
    const durability = resolveDurability(options?.durability, this.config.timeoutMs);
    const circuit = resolveCircuitBreaker(options?.circuitBreaker, this.config.timeoutMs);
    this.circuit = circuit && new CircuitBreaker(circuit, this.config.target);
    this.client = createRedisClient(this.config);
    this.commands = new CommandGuard(this.client, this.config, this.layout, () => this.isClosed);
    this.durableWrites =
      durability &&
      new DurableWrites(durability, {
        target: this.config.target,
        cluster: this.topology === 'cluster',
        connectionOf: (shard) => writeConnectionOf(this.client, this.topology, shard),
        openConnection: (node) => createDurabilityConnection(this.config, node),
        probeKeyOf: (shard) => durabilityProbeKey(this.shard(shard)),
        describeFailure: (error, connection, lastError) =>
          describeConfirmFailure(error, connection, lastError, this.config),
      });
    this.near =
      this.config.nearCache &&
      createNearCache(this, this.config, this.config.nearCache, this.client, (_key, raw) =>
        nearCacheForm(raw, this.binary),
      );
    const scriptedWrites = transactionsFor(this.topology) ? new ScriptedWrites() : undefined;
    const slotMoves = new SlotMoves(this.config.timeoutMs, this.topology === 'cluster');
    this.slotMoves = slotMoves;
    this.batcher = new CommandBatcher(
      storeBatchSender({
        client: this.client,
        topology: this.topology,
        shards: this.layout.shards,
        timedReads: this.near !== undefined,
        durable: (shard, write, keys) => this.durable(shard, write, keys),
        scriptedWrites,
        slotMoves,
      }),
    );
    this.sweeper = new IndexSweeper(
      {
        shardCount: this.layout.shards.length,
        // Background work is never let through an open breaker, nor used as its probe.
        isReady: () =>
          this.client.status === 'ready' &&
          (this.circuit === undefined || this.circuit.stats().state === 'closed'),
        sweepShard: (shard, cursor, count) =>
          this.guard(
            sweepShardStep(this.direct(), this.shard(shard), cursor, count, this.pruneFlag),
          ),
      },
      this.config.sweepIntervalMs,
    );
    this.sweeper.start();
    this.leases = new RedisLeases({
      layout: this.layout,
      client: () => this.direct(),
      guard: (command) => this.guard(command),
    });
    const context: WriteContext & RangeContext = {
      layout: this.layout,
      topology: this.topology,
      pruneFlag: this.pruneFlag,
      defaultTtlMs: this.defaultTtlMs,
      direct: () => this.direct(),
      guard: (command, key?: string) => this.guard(command, key),
      durable: (shard, write, keys) => this.durable(shard, write, keys),
      track: (operation) => this.track(operation),
      scriptedWrites,
      scripts: new WriteScripts(scriptedWrites),
      slotMoves,
    };
    this.writes = new RedisWrites(context);
    this.rangeContext = context;
  }

  /** Takes the lease `name` for `token` for `ttlMs` ms unless another process holds it (`SET NX PX`). */
  async tryLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    return this.whenAdmitted(() => this.leases.tryLease(name, token, ttlMs));
  }

  /** Extends the lease `name` to `ttlMs` ms from now while `token` holds it. */
  async renewLease(name: string, token: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    return this.whenAdmitted(() => this.leases.renewLease(name, token, ttlMs));
  }

  /** Releases the lease `name` while `token` holds it. */
  async releaseLease(name: string, token: string): Promise<boolean> {
    this.assertOpen();
    return this.whenAdmitted(() => this.leases.releaseLease(name, token));
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
    await untilReady(this.client, this.commands.errors);
  }

  /** Runs one pass of the background index sweep now; resolves how many stale entries it pruned. */
  sweepIndex(): Promise<number> {
    this.assertOpen();
    return this.whenAdmitted(() => this.track(this.sweeper.sweep()));
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
    return this.circuit?.stats();
  }

  protected override describeTelemetryTarget(): TelemetryTarget {
    return redisTelemetryTarget(
      this.config,
      () => this.client.status === 'ready',
      this.circuit && (() => (this.circuit as CircuitBreaker).stats()),
    );
  }

  protected readRaw(key: string): RawValue | Promise<RawValue | undefined> {
    const near = this.near;
    if (near === undefined) {
      // Without the near cache the batcher's reads bring raw values.
      return this.whenAdmitted(() =>
        this.guard(this.batcher.get(this.layout.shardOf(key), key) as Promise<RawValue>, key),
      );
    }
    // A near-cache hit needs no Redis, so the breaker is asked only on a miss.
    return (
      near.hit(key) ??
      this.whenAdmitted(() =>
        this.guard(
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
    if (this.near) {
      return this.near.readMany(keys, (missing) =>
        this.whenAdmitted(() =>
          readPerShard(this.layout, missing, (names) =>
            this.guard(
              readEachWhileSlotMoves(names, (some) => fetchTimedMany(this.direct(), some)),
            ),
          ),
        ),
      );
    }
    return this.readManyFromServer(keys);
  }

  private readManyFromServer(keys: readonly string[]): Promise<Array<RawValue | undefined>> {
    return this.whenAdmitted(() =>
      readPerShard(this.layout, keys, (names) =>
        this.guard<Array<RawValue | null>>(
          readEachWhileSlotMoves(
            names,
            (some) => readMany(this.direct(), some) as Promise<Array<Buffer | null>>,
          ),
        ),
      ),
    );
  }

  protected writeRaw(key: string, raw: RawValue, ttlMs: number | null): Promise<void> {
    return this.ownWrite([key], () =>
      this.guard(this.batcher.put(this.layout.shardOf(key), key, raw, ttlMs ?? 0)),
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
    const name = this.layout.shardFor(key).dataPrefix + key;
    return (await this.whenAdmitted(() => this.guard(this.direct().exists(name)))) === 1;
  }

  protected async ttlRaw(key: string): Promise<number | null | undefined> {
    const name = this.layout.shardFor(key).dataPrefix + key;
    const ms = await this.whenAdmitted(() => this.guard(this.direct().pttl(name)));
    if (ms === -2) return undefined;
    return ms === -1 ? null : ms;
  }

  protected rangeRaw(
    range: KeyRange,
    limit: number | undefined,
  ): Promise<Array<[string, RawValue]>> {
    return this.whenAdmitted(() => readRange(this.rangeContext, range, limit));
  }

  protected clearRaw(): Promise<number> {
    return this.ownWrite(null, () => this.writes.clear());
  }

  protected statsRaw(): Promise<RedisStoreStats> {
    return this.whenAdmitted(() => this.statsOfRedis()).then((stats) =>
      this.circuit ? { ...stats, circuit: this.circuit.stats() } : stats,
    );
  }

  private statsOfRedis(): Promise<RedisStoreStats> {
    return this.track(
      collectRedisStats({
        layout: this.layout,
        client: this.client,
        topology: this.topology,
        keyPrefix: this.config.keyPrefix,
        serializer: serializerName(this.serializer),
        scanBatch: SCAN_BATCH,
        guard: (command) => this.guard(command),
        direct: () => this.direct(),
      }).then((stats) => (this.near ? { ...stats, nearCache: this.near.stats() } : stats)),
    );
  }

  protected async pingRaw(): Promise<void> {
    await this.whenAdmitted(() => this.guard(this.direct().ping()));
  }

  protected async closeRaw(): Promise<void> {
    this.slotMoves.close();
    try {
      await shutDown({
        near: this.near,
        sweeper: this.sweeper,
        multiStep: this.multiStep,
        batcher: this.batcher,
        client: this.client,
        timeoutMs: this.config.timeoutMs,
        abandonUnanswered: () => this.commands.abandonUnanswered(),
      });
    } finally {
      // Confirmations still waiting when close() gave up reject.
      this.durableWrites?.close();
    }
  }

  /**
   * Runs a write of `keys` (null: every key) the near cache must not serve stale (see
   * own-writes.ts), once the circuit breaker lets it through: a refused write touches nothing.
   */
  private ownWrite<T>(keys: readonly string[] | null, write: () => Promise<T>): Promise<T> {
    return this.whenAdmitted(() => ownWrite(this.near, keys, write));
  }

  /** `call`, unless the circuit breaker refuses it (then a `CircuitOpenError`, and it never runs). */
  private whenAdmitted<T>(call: () => Promise<T>): Promise<T> {
    return this.circuit === undefined ? call() : this.circuit.call(call);
  }

  /** Serializes as every store does, then refuses a value over `maxValueBytes` before sending it. */
  protected override encode(key: string, value: unknown): RawValue {
    const raw = super.encode(key, value);
    assertValueSize(key, raw, this.maxValueBytes);
    return raw;
  }

  /** Values are read as bytes; a text serializer gets them as text once they proved to be UTF-8. */
  protected override decode(key: string, raw: RawValue): unknown {
    // Reads that fold several keys into one script reply another Redis type as [type].
    if (isForeignTypeMarker(raw)) throw foreignTypeError(key, raw[0]);
    return super.decode(key, this.binary ? raw : storedText(key, raw));
  }

  /** The client, once every queued get and put has been sent, so no command overtakes them. */
  private direct(): RedisClient {
    this.batcher.flush();
    return this.client;
  }

  private shard(shard: number): Shard {
    return this.layout.shards[shard] as Shard;
  }

  /** `write`, confirmed by replicas first when the `durability` option asks for it. */
  private durable<T>(shard: number, write: Promise<T>, keys: readonly string[]): Promise<T> {
    if (this.durableWrites === undefined) return write;
    const what = DurableWrites.describeKeys(keys);
    // Tracked, so close() waits for confirmations in flight (within its deadline) before it
    // closes their connection.
    if (this.circuit === undefined)
      return this.track(this.durableWrites.confirm(shard, write, what));
    const circuit = this.circuit;
    let applied = false;
    const answered = write.then((result) => {
      applied = true;
      return result;
    });
    return this.track(
      this.durableWrites.confirm(shard, answered, what).catch((error: unknown) => {
        if (!applied) throw error;
        // Redis applied the write and only its replicas lagged: that says nothing of its reach.
        const failure = translateRedisError(error, this.commands.errors);
        circuit.excuse(failure);
        throw failure;
      }),
    );
  }

  /** `command` with its failure mapped to the library's errors (see {@link CommandGuard.guard}). */
  private guard<T>(command: Promise<T>, key?: string): Promise<T> {
    return this.commands.guard(command, key);
  }

  /** Keeps a multi-command operation in `multiStep` until it settles, so close() can wait for it. */
  private track<T>(operation: Promise<T>): Promise<T> {
    this.multiStep.add(operation);
    const forget = (): void => {
      this.multiStep.delete(operation);
    };
    operation.then(forget, forget);
    return operation;
  }
}
