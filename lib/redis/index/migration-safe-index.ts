import type { RawValue } from '../../core/types.js';
import type { Shard } from './key-layout.js';
import type { PruneFlag, RedisClient } from '../connection/redis-connection.js';

/**
 * Range reads and index pruning that stay correct while Redis Cluster migrates a slot
 * (`redis-cli --cluster reshard`). A shard's index and data keys share one slot, but MIGRATE moves
 * them one batch at a time, so for a while a script on either node sees some data keys as missing.
 * A script that pruned such members would drop live keys from the index for good, and a range
 * read would skip them. So on a cluster the scripts prune nothing: range rows whose data key the
 * script could not see are read again by their own route (ioredis follows ASK), and the sweep
 * prunes through a script that declares the data keys, which Redis refuses during a migration.
 */

/** Whether the index scripts may prune members whose data key they cannot see. */
export function pruneFlagFor(topology: string): PruneFlag {
  return topology === 'cluster' ? '0' : '1';
}

/**
 * Turns a RANGE reply of one shard into rows: values the script returned as null (prune '0') are
 * read with GET by their own route; those still missing are expired or deleted and left out.
 */
export async function rowsOfRangeReply(
  client: RedisClient,
  shard: Shard,
  flat: ReadonlyArray<Buffer | null>,
): Promise<Array<[string, RawValue]>> {
  const rows: Array<[string, RawValue | null]> = [];
  const unseen: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const value = flat[i + 1] ?? null;
    if (value === null) unseen.push(rows.length);
    rows.push([String(flat[i]), value]);
  }
  if (unseen.length === 0) return rows as Array<[string, RawValue]>;
  await Promise.all(
    unseen.map(async (position) => {
      const row = rows[position] as [string, RawValue | null];
      row[1] = await client.getBuffer(shard.dataPrefix + row[0]);
    }),
  );
  return rows.filter((row): row is [string, RawValue] => row[1] !== null);
}

/**
 * One sweep step of one shard: resolves [next cursor, members visited, members removed]. With
 * prune '0' the candidates the SWEEP script reports are pruned by PRUNE_MISSING, whose declared
 * keys make Redis answer TRYAGAIN or ASK mid-migration; such a step removes nothing this time.
 */
export async function sweepShardStep(
  client: RedisClient,
  shard: Shard,
  cursor: string,
  count: number,
  prune: PruneFlag,
): Promise<[string, number, number]> {
  const [next, visited, removed, ...candidates] = await client.kvSweep(
    shard.indexKey,
    cursor,
    count,
    shard.dataPrefix,
    prune,
  );
  if (prune === '1' || candidates.length === 0) return [next, visited, removed];
  const dataKeys = candidates.map((member) => shard.dataPrefix + member);
  let pruned = 0;
  try {
    pruned = await client.kvPruneMissing(
      1 + dataKeys.length,
      shard.indexKey,
      ...dataKeys,
      ...candidates,
    );
  } catch {
    // TRYAGAIN or a redirect while the slot migrates: the next sweep looks at them again.
  }
  return [next, visited, pruned];
}
