import type { RawValue } from '../core/types.js';
import type { TimedRaw } from './near-cache/near-cache.js';
import { fetchTimed, fetchTimedMany } from './near-cache/timed-reads.js';
import { readMany } from './reads/read-many.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { sendPut, sendPuts } from './writes/indexed-puts.js';
import { readEachWhileSlotMoves } from './writes/slot-moves.js';

/** A queued single-key read or write of one shard; `V` is what a read brings. */
type PendingOp<V> =
  | {
      kind: 'get';
      member: string;
      resolve: (value: V | undefined) => void;
      reject: (error: unknown) => void;
    }
  | {
      kind: 'put';
      member: string;
      value: RawValue;
      ttlMs: number;
      resolve: () => void;
      reject: (error: unknown) => void;
    };

/**
 * How the batcher talks to Redis for one shard; every call sends exactly one command (or one
 * pipeline). `V` is what a read brings: the raw value, or with the near cache the value and its TTL.
 */
export interface BatchSender<V = RawValue> {
  /** One GET of a member of `shard`. */
  get(shard: number, member: string): Promise<V | null>;
  /** One MGET of members of `shard`, values in order. */
  getMany(shard: number, members: readonly string[]): Promise<Array<V | null>>;
  /** One put script call (data and index) for a member of `shard`; `ttlMs` 0: none. */
  put(shard: number, member: string, value: RawValue, ttlMs: number): Promise<unknown>;
  /**
   * One atomic command (a transaction, or a script call on a cluster) storing [member, value,
   * ttlMs] triples of `shard` with their index entries.
   */
  putMany(shard: number, triples: ReadonlyArray<RawValue | number>): Promise<unknown>;
}

/** Most operations folded into one command, so a command never grows without bound. */
const MAX_BATCH = 512;

/**
 * Folds single-key gets and puts issued in the same tick into one MGET, or one atomic put command
 * (a transaction; a script call on a cluster), per shard. Redis then runs one command instead of
 * hundreds, and the client builds, writes and parses one. The first call of a tick is sent at
 * once, as a plain GET or put script call, so a lone call waits for nothing and costs no
 * queueing; the calls that follow it in the same tick are queued and flushed by
 * `process.nextTick`, after the microtasks of the tick. Order is kept: the first call is written
 * before the queue, runs of gets and puts go out in the order they were issued, and every other
 * command of the store calls {@link CommandBatcher.flush} first, so it never overtakes a queued
 * write.
 */
export class CommandBatcher<V = RawValue> {
  private readonly queues = new Map<number, Array<PendingOp<V>>>();
  /** Set from the first call of a tick until the queue is flushed at its end. */
  private tickStarted = false;
  private readonly endTick = (): void => {
    this.tickStarted = false;
    this.flush();
  };

  constructor(private readonly sender: BatchSender<V>) {}

  /** Resolves the raw value of `member` in `shard`, or undefined. */
  get(shard: number, member: string): Promise<V | undefined> {
    if (this.startTick()) return this.sender.get(shard, member).then(orUndefined);
    return new Promise((resolve, reject) => {
      this.enqueue(shard, { kind: 'get', member, resolve, reject });
    });
  }

  /** Resolves once `member` of `shard` holds `value` (TTL in ms, 0: none) and is indexed. */
  put(shard: number, member: string, value: RawValue, ttlMs: number): Promise<void> {
    if (this.startTick()) return this.sender.put(shard, member, value, ttlMs).then(ignore);
    return new Promise((resolve, reject) => {
      this.enqueue(shard, { kind: 'put', member, value, ttlMs, resolve, reject });
    });
  }

  /** Sends everything queued now, in order. */
  flush(): void {
    if (this.queues.size === 0) return;
    for (const [shard, ops] of this.queues) this.send(shard, ops);
    this.queues.clear();
  }

  private enqueue(shard: number, op: PendingOp<V>): void {
    let queue = this.queues.get(shard);
    if (queue === undefined) {
      queue = [];
      this.queues.set(shard, queue);
    }
    queue.push(op);
  }

  /** True for the first call of a tick, which is then sent at once; schedules the flush of the rest. */
  private startTick(): boolean {
    if (this.tickStarted) return false;
    this.tickStarted = true;
    process.nextTick(this.endTick);
    return true;
  }

  /** Sends the runs of same-kind operations of one shard, each as one command. */
  private send(shard: number, ops: Array<PendingOp<V>>): void {
    let start = 0;
    while (start < ops.length) {
      const kind = (ops[start] as PendingOp<V>).kind;
      let end = start + 1;
      while (
        end < ops.length &&
        end - start < MAX_BATCH &&
        (ops[end] as PendingOp<V>).kind === kind
      ) {
        end++;
      }
      const run = ops.slice(start, end);
      if (kind === 'get')
        this.sendGets(shard, run as Array<Extract<PendingOp<V>, { kind: 'get' }>>);
      else this.sendPuts(shard, run as Array<Extract<PendingOp<V>, { kind: 'put' }>>);
      start = end;
    }
  }

  private sendGets(shard: number, run: Array<Extract<PendingOp<V>, { kind: 'get' }>>): void {
    if (run.length === 1) {
      const op = run[0] as (typeof run)[number];
      this.sender.get(shard, op.member).then((value) => op.resolve(value ?? undefined), op.reject);
      return;
    }
    this.sender
      .getMany(
        shard,
        run.map((op) => op.member),
      )
      .then(
        (values) => run.forEach((op, i) => op.resolve(values[i] ?? undefined)),
        (error: unknown) => run.forEach((op) => op.reject(error)),
      );
  }

  private sendPuts(shard: number, run: Array<Extract<PendingOp<V>, { kind: 'put' }>>): void {
    if (run.length === 1) {
      const op = run[0] as (typeof run)[number];
      this.sender.put(shard, op.member, op.value, op.ttlMs).then(() => op.resolve(), op.reject);
      return;
    }
    const triples: Array<RawValue | number> = [];
    for (const op of run) triples.push(op.member, op.value, op.ttlMs);
    this.sender.putMany(shard, triples).then(
      () => run.forEach((op) => op.resolve()),
      (error: unknown) => run.forEach((op) => op.reject(error)),
    );
  }
}

function orUndefined<V>(value: V | null): V | undefined {
  return value ?? undefined;
}

function ignore(): void {
  // A put resolves with nothing; the reply carries no information.
}

/**
 * How the store's batcher sends the gets and puts of one shard: on the client as it is (the
 * batcher is what {@link RedisStoreContext.client} flushes), each put resent while a slot move
 * refuses it and confirmed by replicas when the `durability` option asks for it. With the near
 * cache, reads bring each value with its TTL.
 */
export function storeBatchSender(context: RedisStoreContext): BatchSender<RawValue | TimedRaw> {
  const { rawClient: client, topology, scriptedWrites, slotMoves } = context;
  const timedReads = context.config.nearCache !== undefined;
  return {
    get: (n, member) => {
      const name = context.shard(n).dataPrefix + member;
      return timedReads ? fetchTimed(client, name) : client.getBuffer(name);
    },
    getMany: (n, members) => {
      const { dataPrefix } = context.shard(n);
      const names = members.map((member) => dataPrefix + member);
      if (timedReads) return readEachWhileSlotMoves(names, (some) => fetchTimedMany(client, some));
      // Foreign-type markers travel as values; decode() turns them into the error.
      return readEachWhileSlotMoves(
        names,
        (some) => readMany(client, some) as Promise<Array<Buffer | null>>,
      );
    },
    put: (n, member, value, ttlMs) =>
      context.durable(
        n,
        slotMoves.send([member], () =>
          sendPut(client, topology, context.shard(n), member, value, ttlMs, scriptedWrites),
        ),
        [member],
      ),
    putMany: (n, triples) => {
      const members = triples.filter((_, i) => i % 3 === 0) as string[];
      return context.durable(
        n,
        slotMoves.send(members, () =>
          sendPuts(client, topology, context.shard(n), triples, scriptedWrites),
        ),
        members,
      );
    },
  };
}
