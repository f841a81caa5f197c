import type { Redis } from 'ioredis';
import type { RawValue } from '../../core/types.js';
import { EncodedScript, type RespArg } from './encoded-commands.js';
import type { Shard } from '../index/key-layout.js';
import { SCRIPTS } from './lua-scripts.js';
import type { RedisClient } from '../connection/redis-connection.js';
import type { ScriptedWrites } from './encoded-commands.js';

const ENCODED = {
  putIfAbsent: new EncodedScript(SCRIPTS.kvPutIfAbsent.lua),
  increment: new EncodedScript(SCRIPTS.kvIncrement.lua),
  delete: new EncodedScript(SCRIPTS.kvDelete.lua),
  deleteMany: new EncodedScript(SCRIPTS.kvDeleteMany.lua),
  clear: new EncodedScript(SCRIPTS.kvClear.lua),
};

/**
 * The store's writes other than puts that run as one script call each. On a single server or
 * Sentinel the store encodes them and keeps its writes of a key in the order they were made when
 * Redis forgets its scripts (see ScriptedWrites in encoded-commands.ts); on a cluster, where every write is a script
 * call, ioredis sends them.
 */
export class WriteScripts {
  /** @param order the store's scripted writes in flight; undefined on a cluster. */
  constructor(private readonly order: ScriptedWrites | undefined) {}

  /** Stores `raw` under `key` of `shard` unless it holds a live value (TTL in ms, 0: none); 1 when stored. */
  putIfAbsent(
    client: RedisClient,
    shard: Shard,
    key: string,
    raw: RawValue,
    ttlMs: number,
  ): Promise<number> {
    const data = shard.dataPrefix + key;
    if (this.order === undefined) {
      return client.kvPutIfAbsent(data, shard.indexKey, key, raw, ttlMs);
    }
    return this.send(
      client,
      ENCODED.putIfAbsent,
      [key],
      [data, shard.indexKey],
      [key, raw, ttlMs],
      'putIfAbsent',
    );
  }

  /**
   * Adds `by` (stored-number text) to `key` of `shard`; `ttlArg` -1 removes the TTL, 0 keeps it
   * (a new key gets `defaultTtlMs`, 0: none), otherwise sets it in ms. Resolves the new value.
   */
  increment(
    client: RedisClient,
    shard: Shard,
    key: string,
    by: string,
    ttlArg: number,
    defaultTtlMs: number,
  ): Promise<string> {
    const data = shard.dataPrefix + key;
    if (this.order === undefined) {
      return client.kvIncrement(data, shard.indexKey, key, by, ttlArg, defaultTtlMs);
    }
    return this.send(
      client,
      ENCODED.increment,
      [key],
      [data, shard.indexKey],
      [key, by, ttlArg, defaultTtlMs],
      'increment',
    );
  }

  /** Removes `key` of `shard` and its index entry; resolves 1 when the key existed. */
  delete(client: RedisClient, shard: Shard, key: string): Promise<number> {
    const data = shard.dataPrefix + key;
    if (this.order === undefined) return client.kvDelete(data, shard.indexKey, key);
    return this.send(client, ENCODED.delete, [key], [data, shard.indexKey], [key], 'delete');
  }

  /**
   * Removes `members` of `shard` (no member twice) and their index entries; resolves how many
   * existed. Every data key is declared (see the DELETE_MANY script).
   */
  deleteMany(client: RedisClient, shard: Shard, members: readonly string[]): Promise<number> {
    const keys: Array<string | Buffer> = [shard.indexKey];
    for (const member of members) keys.push(shard.dataPrefix + member);
    const prefixBytes = Buffer.byteLength(shard.dataPrefix);
    if (this.order === undefined) return client.kvDeleteMany(keys.length, keys, prefixBytes);
    return this.send(client, ENCODED.deleteMany, members, keys, [prefixBytes], 'deleteMany');
  }

  /**
   * Removes up to `batch` keys of `shard`'s index; resolves [deleted, visited]. Not on a cluster:
   * the script deletes keys it does not declare (see RedisWrites.clear).
   */
  clear(client: RedisClient, shard: Shard, batch: number): Promise<[number, number]> {
    if (this.order === undefined) return client.kvClear(shard.indexKey, batch, shard.dataPrefix);
    return this.send(
      client,
      ENCODED.clear,
      undefined,
      [shard.indexKey],
      [batch, shard.dataPrefix],
      'clear',
    );
  }

  /** One call of `script`, as the script's reply type `T`. */
  private send<T>(
    client: RedisClient,
    script: EncodedScript,
    writes: readonly string[] | undefined,
    keys: readonly RespArg[],
    args: readonly RespArg[],
    operation: string,
  ): Promise<T> {
    return (this.order as ScriptedWrites).run(
      operation,
      writes,
      (ticket) => script.call(client as Redis, keys, args, ticket) as Promise<T>,
    );
  }
}
