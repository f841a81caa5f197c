import { MemoryStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { medianMs, report } from '../support/measure.js';

// argv: subject ('kv-store' | 'map-filter'), total keys, quick
const [subjectName = 'kv-store', sizeText = '10000', quick = '0'] = process.argv.slice(2);
const size = Number(sizeText);
const RANGE = 100;
let seed = 42;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const startOf = (): number => Math.floor(random() * (size - RANGE));

if (subjectName === 'kv-store') {
  const store = new MemoryStore();
  const batch: Array<[string, unknown]> = [];
  for (let i = 0; i < size; i++) {
    batch.push([sampleKey(i), sampleValue(i)]);
    if (batch.length === 10_000) await store.putMany(batch.splice(0));
  }
  await store.putMany(batch);
  const ms = await medianMs(quick === '1' ? 20 : 300, 50, async () => {
    const start = startOf();
    const rows = await store.rangeGet(sampleKey(start), sampleKey(start + RANGE));
    if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
  });
  await store.close();
  report({ value: ms, unit: 'ms' });
} else {
  // What a store without an ordered index must do: filter every key, sort, slice.
  const map = new Map<string, string>();
  for (let i = 0; i < size; i++) map.set(sampleKey(i), JSON.stringify(sampleValue(i)));
  const ms = await medianMs(quick === '1' ? 2 : 5, 1, async () => {
    const start = startOf();
    const low = sampleKey(start);
    const high = sampleKey(start + RANGE);
    const rows = [...map.keys()]
      .filter((k) => k >= low && k < high)
      .sort()
      .map((k) => [k, JSON.parse(map.get(k) as string) as unknown]);
    if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
  });
  report({ value: ms, unit: 'ms' });
}
