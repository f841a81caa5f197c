import type { Redis } from 'ioredis';
import type { RawValue } from '../core/types.js';
import type { Shard } from './key-layout.js';
import { transactionsFor } from './migration-safe-index.js';
import type { RedisClient } from './redis-connection.js';
import type { RedisTopology } from './resolve-redis-options.js';
import { encodeCommand, sendTransaction, type RespArg } from './resp-transaction.js';

/**
 * Puts of one shard as the store sends them: [member, value, ttl ms (0: none)] triples in the
 * order the puts were made.
 */
export type PutTriples = ReadonlyArray<RawValue | number>;

/**
 * Stores `triples` of `shard` with their index entries in one atomic command: a transaction on a
 * single server or Sentinel, the put script on a cluster (see migration-safe-index.ts).
 */
export function sendPuts(
  client: RedisClient,
  topology: RedisTopology,
  shard: Shard,
  triples: PutTriples,
): Promise<unknown> {
  if (transactionsFor(topology)) return putInTransaction(client as Redis, shard, triples);
  if (triples.length === 3) {
    const [member, value, ttlMs] = triples as [string, RawValue, number];
    return client.kvPut(shard.dataPrefix + member, shard.indexKey, member, value, ttlMs);
  }
  return client.kvPutBatch(shard.indexKey, shard.dataPrefix, triples);
}

/**
 * Stores `triples` of `shard` and adds their members to its index in one MULTI/EXEC
 * transaction, so no other client sees a data key without its index entry or the reverse:
 * one MSET per run of entries without a TTL, a `SET PX` for each entry with one (in the order
 * given, so the last put of a key wins), then one ZADD of every member. Redis runs these as
 * native commands: measured (bench/ab/redis-put-ab.ts), the put script cost the server about
 * four times as many instructions per key, most of them in handing every argument to Lua and back.
 */
export async function putInTransaction(
  client: Redis,
  shard: Shard,
  triples: PutTriples,
): Promise<void> {
  const commands: Array<[string, string | Buffer]> = [];
  const scored: RespArg[] = [shard.indexKey];
  let run: RespArg[] = [];
  for (let i = 0; i < triples.length; i += 3) {
    const member = triples[i] as string;
    const value = triples[i + 1] as RawValue;
    const ttlMs = triples[i + 2] as number;
    if (ttlMs > 0) {
      if (run.length > 0) {
        commands.push(['mset', encodeCommand('MSET', run)]);
        run = [];
      }
      commands.push(['set', encodeCommand('SET', [shard.dataPrefix + member, value, 'PX', ttlMs])]);
    } else {
      run.push(shard.dataPrefix + member, value);
    }
    scored.push(0, member);
  }
  if (run.length > 0) commands.push(['mset', encodeCommand('MSET', run)]);
  commands.push(['zadd', encodeCommand('ZADD', scored)]);
  const replies = await sendTransaction(client, commands);
  // A command that fails inside EXEC (the index key holding another type) does not stop the others.
  for (const reply of replies) if (reply instanceof Error) throw reply;
}
