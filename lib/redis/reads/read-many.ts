import type { RedisClient } from '../connection/redis-connection.js';
import type { ForeignTypeMarker } from './foreign-types.js';

/** A value read by {@link readMany}: bytes, null for a missing key, or a foreign-type marker. */
export type ReadManyValue = Buffer | null | ForeignTypeMarker;

/**
 * MGET of `names` (data keys of one shard), telling a missing key from a key of another Redis
 * type, which MGET reports as missing too. Hits cost the one MGET; a batch with misses costs one
 * EXISTS more, and only when EXISTS finds some of them are their types asked for. A key that holds
 * another type comes back as `[type]` (see foreign-types.ts).
 */
export async function readMany(client: RedisClient, names: string[]): Promise<ReadManyValue[]> {
  const values: ReadManyValue[] = await client.mgetBuffer(names);
  const missing: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] === null) missing.push(i);
  if (missing.length === 0) return values;
  const missingNames = missing.map((i) => names[i] as string);
  if ((await client.exists(...missingNames)) === 0) return values;
  const types = await client.kvTypes(missingNames.length, ...missingNames);
  missing.forEach((position, j) => {
    const type = types[j];
    // 'string': written since the MGET; the read stays a miss, as it was when MGET ran.
    if (type !== undefined && type !== 'none' && type !== 'string') values[position] = [type];
  });
  return values;
}
