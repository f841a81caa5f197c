import type { MemoryStore } from '../../lib/index.js';
import { memoryStoreInKeyOrder, sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, medianMs, reportRounds, scriptArgs } from '../support/measure.js';

// argv: subjects ('kv-store', 'map-filter'), store sizes (comma-separated), quick.
// Rows: memory-range-<size>. Every size lives in this one process and each round measures all of
// them back to back, so "time at 1M / time at 10k" is a paired ratio, not two medians taken
// minutes apart.
const { subjects, args, quick } = scriptArgs();
const sizes = (args[0] as string).split(',').map(Number);
const RANGE = 100;
let seed = 42;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const startIn = (size: number): number => Math.floor(random() * (size - RANGE));

const stores = new Map<number, MemoryStore>();
const maps = new Map<number, Map<string, string>>();
for (const size of sizes) {
  if (subjects.includes('kv-store')) {
    stores.set(size, await memoryStoreInKeyOrder(size));
  }
  if (subjects.includes('map-filter')) {
    const map = new Map<string, string>();
    for (let i = 0; i < size; i++) map.set(sampleKey(i), JSON.stringify(sampleValue(i)));
    maps.set(size, map);
  }
}

async function kvStoreRange(size: number): Promise<void> {
  const start = startIn(size);
  const rows = await (stores.get(size) as MemoryStore).rangeGet(
    sampleKey(start),
    sampleKey(start + RANGE),
  );
  if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
}

// What a store without an ordered index must do: filter every key, sort, slice.
async function mapFilterRange(size: number): Promise<void> {
  const map = maps.get(size) as Map<string, string>;
  const start = startIn(size);
  const low = sampleKey(start);
  const high = sampleKey(start + RANGE);
  const rows = [...map.keys()]
    .filter((k) => k >= low && k < high)
    .sort()
    .map((k) => [k, JSON.parse(map.get(k) as string) as unknown]);
  if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
}

const rows = await interleavedRounds(subjects, quick ? 1 : 9, async (subject) => {
  const figures: Record<string, number> = {};
  for (const size of sizes) {
    figures[`memory-range-${size}`] =
      subject === 'kv-store'
        ? await medianMs(quick ? 20 : 200, () => kvStoreRange(size))
        : await medianMs(1, () => mapFilterRange(size));
  }
  return figures;
});
for (const store of stores.values()) await store.close();
reportRounds(rows);
