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
