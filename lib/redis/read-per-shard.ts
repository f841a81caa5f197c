import type { KeyLayout } from './index/key-layout.js';

/**
 * Reads `keys` with one `fetch` of their Redis names per shard, the shards in parallel; resolves
 * their values in the order of `keys` (undefined where `fetch` brought null).
 */
export async function readPerShard<V>(
  layout: KeyLayout,
  keys: readonly string[],
  fetch: (names: string[]) => Promise<Array<V | null>>,
): Promise<Array<V | undefined>> {
  const out = new Array<V | undefined>(keys.length);
  await Promise.all(
    [...layout.group(keys, (k) => k)].map(async ([shardNumber, positions]) => {
      const { dataPrefix } = layout.shards[shardNumber] as { dataPrefix: string };
      const values = await fetch(positions.map((i) => dataPrefix + (keys[i] as string)));
      positions.forEach((position, j) => {
        out[position] = values[j] ?? undefined;
      });
    }),
  );
  return out;
}
