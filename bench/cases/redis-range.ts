import { Redis } from 'ioredis';
import { createStore, type KvStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, medianMs, reportRounds, scriptArgs } from '../support/measure.js';

// argv: subjects ('kv-store', 'scan-listing'), store sizes (comma-separated), quick.
// Rows: redis-range-<size>. Every size is its own database on the one server (so a SCAN listing
// at 100k walks the 100k keys of its store, not every key of every size), and each round
// measures all sizes back to back: "time at 1M / time at 10k" is a paired ratio. A SCAN listing
// of a million keys takes tens of seconds per query, so it is measured up to 100k.
const { subjects, args, quick } = scriptArgs();
const sizes = (args[0] as string).split(',').map(Number);
const port = Number(process.env.BENCH_REDIS_PORT);
const RANGE = 100;
const SCAN_LIMIT = 100_000;
let seed = 7;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const prefixOf = (size: number): string => `range${size}:`;
const dbOf = (size: number): number => 1 + sizes.indexOf(size);

const stores = new Map<number, KvStore>();
for (const size of sizes) {
  const store = createStore({
    type: 'redis',
    host: '127.0.0.1',
    port,
    db: dbOf(size),
    keyPrefix: prefixOf(size),
  });
  await store.ping();
  if ((await store.getStats()).totalKeys !== size) {
    await store.clear();
    // Several batches in flight: the fill is not measured, and a million keys one batch at a
    // time would take most of the run's time budget.
    const batches: Array<Promise<void>> = [];
    for (let start = 0; start < size; start += 1000) {
      const entries: Array<[string, unknown]> = [];
      for (let i = start; i < Math.min(size, start + 1000); i++)
        entries.push([sampleKey(i), sampleValue(i)]);
      batches.push(store.putMany(entries));
      if (batches.length === 8) await Promise.all(batches.splice(0));
    }
    await Promise.all(batches);
  }
  stores.set(size, store);
}
const scanClients = new Map(
  sizes.map((size) => [size, new Redis({ port, host: '127.0.0.1', db: dbOf(size) })]),
);

async function kvStoreRange(size: number): Promise<void> {
  const start = Math.floor(random() * (size - RANGE));
  const rows = await (stores.get(size) as KvStore).rangeGet(
    sampleKey(start),
    sampleKey(start + RANGE),
  );
  if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
}

// What SCAN-based stores do for a listing: scan the prefix, fetch, sort, slice.
async function scanListing(size: number): Promise<void> {
  const prefix = prefixOf(size);
  const client = scanClients.get(size) as Redis;
  const start = Math.floor(random() * (size - RANGE));
  const low = prefix + sampleKey(start);
  const high = prefix + sampleKey(start + RANGE);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}item:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) if (key >= low && key < high) found.push(key);
  } while (cursor !== '0');
  found.sort();
  const values = found.length ? await client.mget(...found) : [];
  const rows = values.map((v, i) => [found[i], JSON.parse(v ?? 'null') as unknown]);
  if (rows.length !== RANGE) throw new Error(`expected ${RANGE} rows, got ${rows.length}`);
}

const rows = await interleavedRounds(subjects, quick ? 1 : 7, async (subject) => {
  const figures: Record<string, number> = {};
  for (const size of sizes) {
    if (subject === 'kv-store') {
      figures[`redis-range-${size}`] = await medianMs(quick ? 10 : 60, () => kvStoreRange(size));
    } else if (size <= SCAN_LIMIT) {
      figures[`redis-range-${size}`] = await medianMs(1, () => scanListing(size));
    }
  }
  return figures;
});
for (const client of scanClients.values()) await client.quit();
for (const store of stores.values()) await store.close();
reportRounds(rows);
