import type { RawValue } from '../core/types.js';
import type { BatchSender } from './command-batcher.js';
import { sendPut, sendPuts } from './writes/indexed-puts.js';
import type { Shard } from './index/key-layout.js';
import type { TimedRaw } from './near-cache/near-cache.js';
import { fetchTimed, fetchTimedMany } from './near-cache/timed-reads.js';
import { readMany } from './reads/read-many.js';
import type { RedisClient } from './connection/redis-connection.js';
import type { RedisTopology } from './options/resolve-redis-options.js';
import type { ScriptedWrites } from './scripts/scripted-writes.js';
import { readEachWhileSlotMoves, type SlotMoves } from './writes/slot-moves.js';

/** What the store's batched gets and puts need of it. */
export interface BatchSenderContext {
  readonly client: RedisClient;
  readonly topology: RedisTopology;
  readonly shards: readonly Shard[];
  /** With the near cache, reads bring each value with its TTL. */
  readonly timedReads: boolean;
  /** `write`, confirmed by replicas when the store's `durability` option asks for it. */
  durable<T>(shard: number, write: Promise<T>, keys: readonly string[]): Promise<T>;
  /** Script calls that write, in flight; undefined on a cluster, where every write is a script. */
  readonly scriptedWrites: ScriptedWrites | undefined;
  /** Sends a write again while Redis Cluster refuses it, unrun, for a slot move. */
  readonly slotMoves: SlotMoves;
}

/** How the store's {@link CommandBatcher} sends its gets and puts of one shard. */
export function storeBatchSender(store: BatchSenderContext): BatchSender<RawValue | TimedRaw> {
  const { client, topology, timedReads, scriptedWrites, slotMoves } = store;
  const shard = (n: number): Shard => store.shards[n] as Shard;
  return {
    get: (n, member) => {
      const name = shard(n).dataPrefix + member;
      return timedReads ? fetchTimed(client, name) : client.getBuffer(name);
    },
    getMany: (n, members) => {
      const { dataPrefix } = shard(n);
      const names = members.map((member) => dataPrefix + member);
      if (timedReads) return readEachWhileSlotMoves(names, (some) => fetchTimedMany(client, some));
      // Foreign-type markers travel as values; decode() turns them into the error.
      return readEachWhileSlotMoves(
        names,
        (some) => readMany(client, some) as Promise<Array<Buffer | null>>,
      );
    },
    put: (n, member, value, ttlMs) =>
      store.durable(
        n,
        slotMoves.send([member], () =>
          sendPut(client, topology, shard(n), member, value, ttlMs, scriptedWrites),
        ),
        [member],
      ),
    putMany: (n, triples) => {
      const members = triples.filter((_, i) => i % 3 === 0) as string[];
      return store.durable(
        n,
        slotMoves.send(members, () =>
          sendPuts(client, topology, shard(n), triples, scriptedWrites),
        ),
        members,
      );
    },
  };
}
