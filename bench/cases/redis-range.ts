import { Redis } from 'ioredis';
import { createStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { medianMs, report } from '../support/measure.js';

// argv: subject ('kv-store' | 'scan-listing'), total keys, quick
const [subjectName = 'kv-store', sizeText = '10000', quick = '0'] = process.argv.slice(2);
const size = Number(sizeText);
const port = Number(process.env.BENCH_REDIS_PORT);
const RANGE = 100;
const PREFIX = `range${size}:`;
let seed = 7;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

// Both subjects read the same data, written once through the store (so the index exists).
const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: PREFIX });
await store.ping();
const existing = await store.rangeGet('', undefined, { limit: 1 });
if (existing.length === 0 || (await store.getStats()).totalKeys !== size) {
  await store.clear();
  for (let start = 0; start < size; start += 1000) {
    const batch: Array<[string, unknown]> = [];
    for (let i = start; i < Math.min(size, start + 1000); i++)
      batch.push([sampleKey(i), sampleValue(i)]);
    await store.putMany(batch);
  }
}

let ms: number;
if (subjectName === 'kv-store') {
  ms = await medianMs(quick === '1' ? 10 : 200, 20, async () => {
    const start = Math.floor(random() * (size - RANGE));
    const rows = await store.rangeGet(sampleKey(start), sampleKey(start + RANGE));
    if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
  });
} else {
  // What SCAN-based stores do for a listing: scan the prefix, fetch, sort, slice.
  const client = new Redis({ port, host: '127.0.0.1' });
  ms = await medianMs(quick === '1' ? 1 : 3, 1, async () => {
    const start = Math.floor(random() * (size - RANGE));
    const low = PREFIX + sampleKey(start);
    const high = PREFIX + sampleKey(start + RANGE);
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}item:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) if (key >= low && key < high) found.push(key);
    } while (cursor !== '0');
    found.sort();
    const values = found.length ? await client.mget(...found) : [];
    const rows = values.map((v, i) => [found[i], JSON.parse(v ?? 'null') as unknown]);
    if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
  });
  await client.quit();
}
await store.close();
report({ value: ms, unit: 'ms' });
