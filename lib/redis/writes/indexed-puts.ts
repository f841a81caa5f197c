import type { Redis } from 'ioredis';
import type { RawValue } from '../../core/types.js';
import {
  EncodedScript,
  encodeCommand,
  sendTransaction,
  type RespArg,
  type ScriptedWrites,
} from '../scripts/encoded-commands.js';
import type { Shard } from '../index/key-layout.js';
import { SCRIPTS } from '../scripts/lua-scripts.js';
import type { RedisClient } from '../connection/redis-connection.js';
import type { RedisTopology } from '../options/resolve-redis-options.js';

/**
 * Puts of one shard as the store sends them: [member, value, ttl ms (0: none)] triples in the
 * order the puts were made.
 */
export type PutTriples = ReadonlyArray<RawValue | number>;

/**
 * Whether puts may run as MULTI/EXEC transactions: not on a cluster. A transaction declares every
 * key it writes, so while its slot migrates Redis refuses its commands one by one, with redirections
 * that can differ (TRYAGAIN for the MSET of keys half moved, ASK for the index), and ioredis retries
 * a transaction only when all its commands got the same one; the put script declares only the
 * index and runs wherever the index is.
 */
export function transactionsFor(topology: string): boolean {
  return topology !== 'cluster';
}

const PUT = new EncodedScript(SCRIPTS.kvPut.lua);

/**
 * Stores `value` under `member` of `shard` (TTL in ms, 0: none) and adds it to the shard's index,
 * atomically, with the put script: no other client sees the data key without its index entry or
 * the reverse. For one key the script is at least as fast as a transaction of SET and ZADD: it
 * costs the server more, but through ioredis the transaction's three more replies cost the
 * client as much or more, awaited one at a time (figures: bench/limits/redis-put-latency.ts,
 * bench/notes/investigations.md).
 */
export function sendPut(
  client: RedisClient,
  topology: RedisTopology,
  shard: Shard,
  member: string,
  value: RawValue,
  ttlMs: number,
  order?: ScriptedWrites,
): Promise<unknown> {
  const { dataPrefix, indexKey } = shard;
  if (!transactionsFor(topology)) {
    return client.kvPut(dataPrefix + member, indexKey, member, value, ttlMs);
  }
  const keys = [dataPrefix + member, indexKey];
  const args = [member, value, ttlMs];
  if (order === undefined) return PUT.call(client as Redis, keys, args);
  return order.run('put', [member], (ticket) => PUT.call(client as Redis, keys, args, ticket));
}

/**
 * Stores `triples` of `shard` and adds their members to its index, atomically: as one MULTI/EXEC
 * transaction on a single server or Sentinel (which overtakes the script calls of `order` in
 * flight on its keys, see {@link ScriptedWrites}), as the batch script on a cluster, declaring every
 * data key so that a slot migration refuses it whole or lets it run whole (see
 * migration-safe-index.ts). Measured (bench/ab/redis-put-ab.ts), the transaction costs the server
 * about 0.7 µs per key, the batch script 2.9 µs, most of it spent handing every argument to Lua
 * and back; a plain SET, with its own reply, about 0.4 µs.
 */
export function sendPuts(
  client: RedisClient,
  topology: RedisTopology,
  shard: Shard,
  triples: PutTriples,
  order?: ScriptedWrites,
): Promise<unknown> {
  if (!transactionsFor(topology)) {
    const { dataPrefix, indexKey } = shard;
    const keys: Array<string | Buffer> = [indexKey];
    const args: Array<RawValue | number> = [Buffer.byteLength(dataPrefix)];
    for (let i = 0; i < triples.length; i += 3) {
      keys.push(dataPrefix + (triples[i] as string));
      args.push(triples[i + 1] as RawValue, triples[i + 2] as number);
    }
    return client.kvPutBatch(keys.length, keys, args);
  }
  if (order?.busy) order.overtake(triples.filter((_, i) => i % 3 === 0) as string[]);
  return putInTransaction(client as Redis, shard, triples);
}

/**
 * Stores `triples` of `shard` and indexes them in one MULTI/EXEC transaction: one MSET per run of
 * entries without a TTL, a `SET PX` for each entry with one (in the order given, so the last put
 * of a key wins), then one ZADD of every member.
 */
async function putInTransaction(client: Redis, shard: Shard, triples: PutTriples): Promise<void> {
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
