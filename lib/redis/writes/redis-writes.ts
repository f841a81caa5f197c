import { formatStoredNumber, incrementOverflowError } from '../../core/stored-number.js';
import type { RawValue } from '../../core/types.js';
import { sendPuts } from './indexed-puts.js';
import type { KeyLayout, Shard } from '../index/key-layout.js';
import type { RedisClient } from '../connection/redis-connection.js';
import { isOverflowReply } from '../connection/redis-errors.js';
import type { RedisTopology } from '../options/resolve-redis-options.js';
import type { ScriptedWrites } from '../scripts/scripted-writes.js';
import type { SlotMoves } from './slot-moves.js';
import type { WriteScripts } from '../scripts/write-scripts.js';

/** Index members one clear script call handles. */
const CLEAR_BATCH = 2000;

/** What the store's scripted and multi-key writes need of it. */
export interface WriteContext {
  readonly layout: KeyLayout;
  readonly topology: RedisTopology;
  /** Default TTL of the store in ms (null: none), for an increment that creates its key. */
  readonly defaultTtlMs: number | null;
  /** The client, once the batcher's queued gets and puts were sent, so no write overtakes them. */
  direct(): RedisClient;
  /** Maps a command's failure to the library's errors (`key`: the key at fault). */
  guard<T>(command: Promise<T>, key?: string): Promise<T>;
  /** `write`, confirmed by replicas when the store's `durability` option asks for it. */
  durable<T>(shard: number, write: Promise<T>, keys: readonly string[]): Promise<T>;
  /** Keeps a multi-command operation until it settles, so close() waits for it. */
  track<T>(operation: Promise<T>): Promise<T>;
  /** Script calls that write, in flight; undefined on a cluster, where every write is a script. */
  readonly scriptedWrites: ScriptedWrites | undefined;
  /** How the writes that are one script call each are sent. */
  readonly scripts: WriteScripts;
  /** Sends a write again while Redis Cluster refuses it, unrun, for a slot move. */
  readonly slotMoves: SlotMoves;
}

/**
 * The Redis store's writes other than a lone put: batches, put-if-absent, increments, deletes and
 * clear. Each keeps data and index atomic per shard (a script, or a transaction for batches).
 */
export class RedisWrites {
  constructor(private readonly store: WriteContext) {}

  /** Stores `entries` with one TTL (ms, null: none): one atomic command per shard. */
  async putMany(entries: ReadonlyArray<[string, RawValue]>, ttlMs: number | null): Promise<void> {
    const { layout, topology } = this.store;
    const ttl = ttlMs ?? 0;
    await Promise.all(
      [...layout.group(entries, ([k]) => k)].map(([shardNumber, positions]) => {
        const triples: Array<RawValue | number> = [];
        for (const i of positions) {
          const [key, raw] = entries[i] as [string, RawValue];
          triples.push(key, raw, ttl);
        }
        const shard = layout.shards[shardNumber] as Shard;
        const keys = positions.map((i) => (entries[i] as [string, RawValue])[0]);
        const write = this.store.slotMoves.send(keys, () =>
          sendPuts(this.store.direct(), topology, shard, triples, this.store.scriptedWrites),
        );
        return this.store.guard(this.store.durable(shardNumber, write, keys));
      }),
    );
  }

  /** Stores `raw` under `key` unless it holds a live value; resolves whether it stored. */
  async putIfAbsent(key: string, raw: RawValue, ttlMs: number | null): Promise<boolean> {
    const shardNumber = this.store.layout.shardOf(key);
    const shard = this.store.layout.shards[shardNumber] as Shard;
    const write = this.store.slotMoves.send([key], () =>
      this.store.scripts.putIfAbsent(this.store.direct(), shard, key, raw, ttlMs ?? 0),
    );
    return (await this.store.guard(this.store.durable(shardNumber, write, [key]))) === 1;
  }

  /**
   * Adds `by` to the number under `key`; `ttlMs` undefined keeps the key's TTL (a new key gets
   * the default), null removes it. Resolves the new value.
   */
  async increment(key: string, by: number, ttlMs: number | null | undefined): Promise<number> {
    const shardNumber = this.store.layout.shardOf(key);
    const shard = this.store.layout.shards[shardNumber] as Shard;
    // -1 asks the script to PERSIST, 0 to keep the TTL (or apply the default to a new key).
    const ttlArg = ttlMs === undefined ? 0 : ttlMs === null ? -1 : ttlMs;
    const write = this.store.slotMoves
      .send([key], () =>
        this.store.scripts.increment(
          this.store.direct(),
          shard,
          key,
          formatStoredNumber(by),
          ttlArg,
          this.store.defaultTtlMs ?? 0,
        ),
      )
      .catch((error: unknown) => {
        throw isOverflowReply(error) ? incrementOverflowError(key) : error;
      });
    return Number(await this.store.guard(this.store.durable(shardNumber, write, [key]), key));
  }

  /** Removes `key` and its index entry; resolves whether a key was removed. */
  async delete(key: string): Promise<boolean> {
    const shardNumber = this.store.layout.shardOf(key);
    const shard = this.store.layout.shards[shardNumber] as Shard;
    const write = this.store.slotMoves.send([key], () =>
      this.store.scripts.delete(this.store.direct(), shard, key),
    );
    return (await this.store.guard(this.store.durable(shardNumber, write, [key]))) === 1;
  }

  /** Removes `keys`, one script call per shard; resolves how many were removed. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    const { layout } = this.store;
    // A key named twice is deleted once (the script must not meet a key it already deleted).
    const unique = [...new Set(keys)];
    const counts = await Promise.all(
      [...layout.group(unique, (k) => k)].map(([shardNumber, positions]) => {
        const shard = layout.shards[shardNumber] as Shard;
        const members = positions.map((i) => unique[i] as string);
        return this.store.guard(
          this.store.durable(shardNumber, this.deleteInShard(shard, members), members),
        );
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** One delete script call for `members` of `shard`, sent again while a slot move refuses it. */
  private deleteInShard(shard: Shard, members: readonly string[]): Promise<number> {
    return this.store.slotMoves.send(members, () =>
      this.store.scripts.deleteMany(this.store.direct(), shard, members),
    );
  }

  /** Removes every key of the store, walking each shard's index; resolves how many were live. */
  clear(): Promise<number> {
    return this.store.track(
      Promise.all(
        this.store.layout.shards.map((shard, shardNumber) =>
          this.store.topology === 'cluster'
            ? this.clearClusterShard(shard, shardNumber)
            : this.clearShard(shard, shardNumber),
        ),
      ).then((counts) => counts.reduce((sum, n) => sum + n, 0)),
    );
  }

  /** Clears one shard with the clear script, which reads the index and deletes in one call. */
  private async clearShard(shard: Shard, shardNumber: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const write = this.store.scripts.clear(this.store.direct(), shard, CLEAR_BATCH);
      const [deleted, visited] = await this.store.guard(
        this.store.durable(shardNumber, write, [`the clear of shard ${shardNumber}`]),
      );
      removed += deleted;
      if (visited < CLEAR_BATCH) return removed;
    }
  }

  /**
   * Clears one shard of a cluster: reads a page of the index, then deletes it with the delete
   * script, which declares every data key. The clear script deletes keys it derives from the
   * index without declaring them; while the shard's slot migrates, such a delete runs on a node
   * where the key is not (and deletes nothing, or fails the script halfway).
   */
  private async clearClusterShard(shard: Shard, shardNumber: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const members = await this.store.guard(
        this.store.direct().zrange(shard.indexKey, '0', String(CLEAR_BATCH - 1)),
      );
      if (members.length === 0) return removed;
      removed += await this.store.guard(
        this.store.durable(shardNumber, this.deleteInShard(shard, members), [
          `the clear of shard ${shardNumber}`,
        ]),
      );
      if (members.length < CLEAR_BATCH) return removed;
    }
  }
}
