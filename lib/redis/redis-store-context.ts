import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import { CircuitBreaker, type CircuitBreakerStats } from './connection/circuit-breaker.js';
import { CommandGuard } from './connection/command-guard.js';
import {
  createDurabilityConnection,
  createRedisClient,
  type PruneFlag,
  type RedisClient,
} from './connection/redis-connection.js';
import { translateRedisError } from './connection/redis-errors.js';
import { KeyLayout, durabilityProbeKey, type Shard } from './index/key-layout.js';
import { pruneFlagFor } from './index/migration-safe-index.js';
import { resolveCircuitBreaker } from './options/circuit-breaker-options.js';
import { resolveDurability } from './options/durability-options.js';
import { resolveMaxValueBytes } from './options/value-size.js';
import type { RedisStoreOptions } from './options/redis-store-options.js';
import {
  resolveRedisOptions,
  type RedisTopology,
  type ResolvedRedisConfig,
} from './options/resolve-redis-options.js';
import { ScriptedWrites } from './scripts/encoded-commands.js';
import { WriteScripts } from './scripts/write-scripts.js';
import { DurableWrites, describeConfirmFailure, writeConnectionOf } from './writes/durability.js';
import { transactionsFor } from './writes/indexed-puts.js';
import { SlotMoves } from './writes/slot-moves.js';

/** What the context needs of the store that creates it. */
export interface RedisStoreHost {
  /** Default TTL of the store in ms (null: none). */
  readonly defaultTtlMs: number | null;
  /** Whether `close()` was called on the store. */
  isClosed(): boolean;
}

/**
 * What the pieces of a Redis store share: its resolved options, key layout and client, and the
 * wrappers every command goes through (error mapping, circuit breaker, replica confirmation,
 * resends during a slot move, tracking for close()). {@link RedisStore} creates one and hands it
 * to its writes, range reads, leases, stats and batch sender; they call its methods and keep no
 * copy of its state. The context imports none of them, so they sit above it.
 */
export class RedisStoreContext {
  /** The options, resolved and validated. */
  readonly config: ResolvedRedisConfig;
  /** Which deployment the store talks to. */
  readonly topology: RedisTopology;
  /** Where each key, its shard's index and its leases live. */
  readonly layout: KeyLayout;
  /** Whether index scripts may prune: not on a cluster (see migration-safe-index.ts). */
  readonly pruneFlag: PruneFlag;
  /** Default TTL of the store in ms (null: none), for an increment that creates its key. */
  readonly defaultTtlMs: number | null;
  /** Largest serialized value the store sends, in bytes (the `maxValueBytes` option). */
  readonly maxValueBytes: number;
  /**
   * The client as it is, without sending the batcher's queue first: for the batcher itself, and
   * for the connection's state (connect, status, close). Every other command uses {@link client}.
   */
  readonly rawClient: RedisClient;
  /** Maps failures to the library's errors; `errors` is what connection messages are built from. */
  readonly commands: CommandGuard;
  /** Script calls that write, in flight; undefined on a cluster, where every write is a script. */
  readonly scriptedWrites: ScriptedWrites | undefined;
  /** How the writes that are one script call each are sent. */
  readonly scripts: WriteScripts;
  /** Sends cluster writes again while their slot moves; told to stop at close(). */
  readonly slotMoves: SlotMoves;
  /** Set with the `circuitBreaker` option: asked before every call that needs Redis. */
  private readonly circuit: CircuitBreaker | undefined;
  /** Set with the `durability` option: confirms each write with WAIT on connections of its own. */
  private readonly durableWrites: DurableWrites | undefined;
  /** Multi-command operations until they settle, so close() can wait for them. */
  private readonly multiStep = new Set<Promise<unknown>>();
  /** The batcher whose queued gets and puts {@link client} sends first. */
  private batcher: { flush(): void } | undefined;

  /**
   * Resolves `options` (throwing `InvalidOptionsError` before any connection is opened) and
   * creates the client, which starts connecting in the background.
   */
  constructor(options: RedisStoreOptions, host: RedisStoreHost) {
    this.config = resolveRedisOptions(options);
    this.maxValueBytes = resolveMaxValueBytes(options.maxValueBytes);
    this.topology = this.config.topology;
    this.pruneFlag = pruneFlagFor(this.topology);
    this.defaultTtlMs = host.defaultTtlMs;
    this.layout =
      this.topology === 'cluster'
        ? KeyLayout.cluster(this.config.keyPrefix)
        : KeyLayout.single(this.config.keyPrefix);
    const durability = resolveDurability(options?.durability, this.config.timeoutMs);
    const circuit = resolveCircuitBreaker(options?.circuitBreaker, this.config.timeoutMs);
    this.circuit = circuit && new CircuitBreaker(circuit, this.config.target);
    this.rawClient = createRedisClient(this.config);
    this.commands = new CommandGuard(this.rawClient, this.config, this.layout, () =>
      host.isClosed(),
    );
    this.durableWrites =
      durability &&
      new DurableWrites(durability, {
        target: this.config.target,
        cluster: this.topology === 'cluster',
        connectionOf: (shard) => writeConnectionOf(this.rawClient, this.topology, shard),
        openConnection: (node) => createDurabilityConnection(this.config, node),
        probeKeyOf: (shard) => durabilityProbeKey(this.shard(shard)),
        describeFailure: (error, connection, lastError) =>
          describeConfirmFailure(error, connection, lastError, this.config),
      });
    this.scriptedWrites = transactionsFor(this.topology) ? new ScriptedWrites() : undefined;
    this.scripts = new WriteScripts(this.scriptedWrites);
    this.slotMoves = new SlotMoves(this.config.timeoutMs, this.topology === 'cluster');
  }

  /** Makes {@link client} send `batcher`'s queued gets and puts first; called once, by the store. */
  useBatcher(batcher: { flush(): void }): void {
    this.batcher = batcher;
  }

  /** The client, once every queued get and put has been sent, so no command overtakes them. */
  client(): RedisClient {
    this.batcher?.flush();
    return this.rawClient;
  }

  /** Shard number `shard` of the layout. */
  shard(shard: number): Shard {
    return this.layout.shards[shard] as Shard;
  }

  /** Whether the client is connected and background work may use it (no open circuit breaker). */
  readyForBackgroundWork(): boolean {
    // Background work is never let through an open breaker, nor used as its probe.
    return (
      this.rawClient.status === 'ready' &&
      (this.circuit === undefined || this.circuit.stats().state === 'closed')
    );
  }

  /** `call`, unless the circuit breaker refuses it (then a `CircuitOpenError`, and it never runs). */
  whenAdmitted<T>(call: () => Promise<T>): Promise<T> {
    return this.circuit === undefined ? call() : this.circuit.call(call);
  }

  /** The circuit breaker's state and counts; undefined without the `circuitBreaker` option. */
  circuitStats(): CircuitBreakerStats | undefined {
    return this.circuit?.stats();
  }

  /** `command` with its failure mapped to the library's errors (see {@link CommandGuard.guard}). */
  guard<T>(command: Promise<T>, key?: string): Promise<T> {
    return this.commands.guard(command, key);
  }

  /** `write`, confirmed by replicas first when the `durability` option asks for it. */
  durable<T>(shard: number, write: Promise<T>, keys: readonly string[]): Promise<T> {
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

  /** Keeps a multi-command operation until it settles, so close() can wait for it. */
  track<T>(operation: Promise<T>): Promise<T> {
    this.multiStep.add(operation);
    const forget = (): void => {
      this.multiStep.delete(operation);
    };
    operation.then(forget, forget);
    return operation;
  }

  /** The multi-command operations still running (a live view, for close()). */
  get running(): Iterable<Promise<unknown>> {
    return this.multiStep;
  }

  /** Rejects the replica confirmations still waiting and closes their connections. */
  closeConfirmations(): void {
    this.durableWrites?.close();
  }

  /**
   * Telemetry attributes of the store. `server.address`/`server.port` only on a standalone
   * server: behind Sentinel or in a cluster the server of an operation is not one configured
   * address.
   */
  telemetryTarget(): TelemetryTarget {
    const { config } = this;
    const target: TelemetryTarget = {
      namespace: String(config.db),
      topology: config.topology,
      isReady: () => this.rawClient.status === 'ready',
    };
    const circuit = this.circuit;
    if (circuit !== undefined) target.circuit = () => circuit.stats();
    const [server] = config.addresses;
    if (config.topology === 'standalone' && server !== undefined) {
      target.serverAddress = server.host;
      target.serverPort = server.port;
    }
    return target;
  }
}
