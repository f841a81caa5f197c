import { MemoryStore } from '../../lib/index.js';

/** A ~200-byte JSON value shaped like a crawler's cached page record. */
export function sampleValue(i: number): Record<string, unknown> {
  return {
    id: i,
    url: `https://example.com/catalog/items/${i}?ref=frontier`,
    title: `Item number ${i} in the sample catalog`,
    tags: ['catalog', 'item', 'sample'],
    fetchedAt: 1_700_000_000_000 + i,
    status: 200,
    depth: i % 7,
  };
}

/** The key of the i-th sample record, zero-padded so that key order is numeric order. */
export function sampleKey(i: number): string {
  return `item:${String(i).padStart(8, '0')}`;
}

/**
 * 0 .. count-1 in a fixed pseudo-random order: new keys arrive unsorted, as session ids or a
 * crawler's discovered URLs do, rather than in the order a B+ tree appends fastest.
 */
export function shuffledIndexes(count: number, seed = 42): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  let state = seed;
  for (let i = count - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = Math.floor((state / 2 ** 31) * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** A memory store holding sample records 0 .. size-1, written in key order, 10,000 per putMany. */
export async function memoryStoreInKeyOrder(size: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (let start = 0; start < size; start += 10_000) {
    const entries: Array<[string, unknown]> = [];
    for (let i = start; i < Math.min(size, start + 10_000); i++)
      entries.push([sampleKey(i), sampleValue(i)]);
    await store.putMany(entries);
  }
  return store;
}
