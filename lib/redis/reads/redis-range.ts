import { compareKeys } from '../../core/key-order.js';
import type { KeyRange, RawValue } from '../../core/types.js';
import { rowsOfRangeReply } from '../index/migration-safe-index.js';
import type { RedisStoreContext } from '../redis-store-context.js';

const OPEN_BRACKET = Buffer.from('[');
const OPEN_PAREN = Buffer.from('(');
const BYTE_FF = Buffer.from([0xff]);

/**
 * Rows of `range` in key order, at most `limit`: one range script call per shard (ZRANGE BYLEX of
 * the index, then the values), merged in UTF-8 byte order of the keys on a cluster.
 */
export async function readRange(
  context: RedisStoreContext,
  range: KeyRange,
  limit: number | undefined,
): Promise<Array<[string, RawValue]>> {
  const min = range.start === '' ? '-' : Buffer.concat([OPEN_BRACKET, Buffer.from(range.start)]);
  let max: string | Buffer = '+';
  // UTF-8 never contains 0xFF, so "(prefix\xff" bounds exactly the keys that start with prefix.
  if (range.prefix !== undefined && range.prefix !== '') {
    max = Buffer.concat([OPEN_PAREN, Buffer.from(range.prefix), BYTE_FF]);
  } else if (range.end !== undefined) {
    max = Buffer.concat([OPEN_PAREN, Buffer.from(range.end)]);
  }
  const perShard = await Promise.all(
    context.layout.shards.map(async (shard) => {
      const flat = await context.guard(
        context
          .client()
          .kvRangeBuffer(shard.indexKey, min, max, limit ?? 0, shard.dataPrefix, context.pruneFlag),
      );
      return context.guard(rowsOfRangeReply(context.client(), shard, flat));
    }),
  );
  if (perShard.length === 1) return perShard[0] as Array<[string, RawValue]>;
  const merged = perShard.flat().sort(([a], [b]) => compareKeys(a, b));
  return limit === undefined ? merged : merged.slice(0, limit);
}
