import { formatStoredNumber, incrementOverflowError } from '../../core/stored-number.js';
import type { RawValue } from '../../core/types.js';
import { sendPuts } from './indexed-puts.js';
import type { Shard } from '../index/key-layout.js';
import { isOverflowReply } from '../connection/redis-errors.js';
import type { RedisStoreContext } from '../redis-store-context.js';

/** Index members one clear script call handles. */
const CLEAR_BATCH = 2000;

/**
 * The Redis store's writes other than a lone put: batches, put-if-absent, increments, deletes and
 * clear. Each keeps data and index atomic per shard (a script, or a transaction for batches).
 */
export class RedisWrites {
  constructor(private readonly context: RedisStoreContext) {}

  /** Stores `entries` with one TTL (ms, null: none): one atomic command per shard. */
  async putMany(entries: ReadonlyArray<[string, RawValue]>, ttlMs: number | null): Promise<void> {
    const { layout, topology } = this.context;
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
        const write = this.context.slotMoves.send(keys, () =>
          sendPuts(this.context.client(), topology, shard, triples, this.context.scriptedWrites),
        );
        return this.context.guard(this.context.durable(shardNumber, write, keys));
      }),
    );
  }

  /** Stores `raw` under `key` unless it holds a live value; resolves whether it stored. */
  async putIfAbsent(key: string, raw: RawValue, ttlMs: number | null): Promise<boolean> {
    const shardNumber = this.context.layout.shardOf(key);
    const shard = this.context.layout.shards[shardNumber] as Shard;
    const write = this.context.slotMoves.send([key], () =>
      this.context.scripts.putIfAbsent(this.context.client(), shard, key, raw, ttlMs ?? 0),
    );
    return (await this.context.guard(this.context.durable(shardNumber, write, [key]))) === 1;
  }

  /**
   * Adds `by` to the number under `key`; `ttlMs` undefined keeps the key's TTL (a new key gets
   * the default), null removes it. Resolves the new value.
   */
  async increment(key: string, by: number, ttlMs: number | null | undefined): Promise<number> {
    const shardNumber = this.context.layout.shardOf(key);
    const shard = this.context.layout.shards[shardNumber] as Shard;
    // -1 asks the script to PERSIST, 0 to keep the TTL (or apply the default to a new key).
    const ttlArg = ttlMs === undefined ? 0 : ttlMs === null ? -1 : ttlMs;
    const write = this.context.slotMoves
      .send([key], () =>
        this.context.scripts.increment(
          this.context.client(),
          shard,
          key,
          formatStoredNumber(by),
          ttlArg,
          this.context.defaultTtlMs ?? 0,
        ),
      )
      .catch((error: unknown) => {
        throw isOverflowReply(error) ? incrementOverflowError(key) : error;
      });
    return Number(await this.context.guard(this.context.durable(shardNumber, write, [key]), key));
  }

  /** Removes `key` and its index entry; resolves whether a key was removed. */
  async delete(key: string): Promise<boolean> {
    const shardNumber = this.context.layout.shardOf(key);
    const shard = this.context.layout.shards[shardNumber] as Shard;
    const write = this.context.slotMoves.send([key], () =>
      this.context.scripts.delete(this.context.client(), shard, key),
    );
    return (await this.context.guard(this.context.durable(shardNumber, write, [key]))) === 1;
  }

  /** Removes `keys`, one script call per shard; resolves how many were removed. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    const { layout } = this.context;
    // A key named twice is deleted once (the script must not meet a key it already deleted).
    const unique = [...new Set(keys)];
    const counts = await Promise.all(
      [...layout.group(unique, (k) => k)].map(([shardNumber, positions]) => {
        const shard = layout.shards[shardNumber] as Shard;
        const members = positions.map((i) => unique[i] as string);
        return this.context.guard(
          this.context.durable(shardNumber, this.deleteInShard(shard, members), members),
        );
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** One delete script call for `members` of `shard`, sent again while a slot move refuses it. */
  private deleteInShard(shard: Shard, members: readonly string[]): Promise<number> {
    return this.context.slotMoves.send(members, () =>
      this.context.scripts.deleteMany(this.context.client(), shard, members),
    );
  }

  /** Removes every key of the store, walking each shard's index; resolves how many were live. */
  clear(): Promise<number> {
    return this.context.track(
      Promise.all(
        this.context.layout.shards.map((shard, shardNumber) =>
          this.context.topology === 'cluster'
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
      const write = this.context.scripts.clear(this.context.client(), shard, CLEAR_BATCH);
      const [deleted, visited] = await this.context.guard(
        this.context.durable(shardNumber, write, [`the clear of shard ${shardNumber}`]),
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
      const members = await this.context.guard(
        this.context.client().zrange(shard.indexKey, '0', String(CLEAR_BATCH - 1)),
      );
      if (members.length === 0) return removed;
      removed += await this.context.guard(
        this.context.durable(shardNumber, this.deleteInShard(shard, members), [
          `the clear of shard ${shardNumber}`,
        ]),
      );
      if (members.length < CLEAR_BATCH) return removed;
    }
  }
}
