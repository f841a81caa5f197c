import sortedBtree from 'sorted-btree';
import { compareKeys } from '../../lib/core/key-order.js';
import { MemoryStore } from '../../lib/index.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// What a put of a NEW key costs, part by part, against the Map+JSON yardstick: microseconds per
// key, measured in one process in rounds that go round the parts. Each part holds `size - batch`
// keys (written in a random order); a round times `batch` new keys, then removes them untimed.
// The store's new keys join its ordered index at the next ordered read, so the last part also
// times that read (the merge of the batch into the index), per key. bench/notes/investigations.md quotes
// its output.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node --max-old-space-size=6144 .tmp/bench/bench/limits/memory-insert.js [100000,1000000]

const BTree = sortedBtree.default;
const sizes = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const ROUNDS = 7;
const BATCH = 20_000;
const compareUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Part {
  add(key: string, value: unknown): unknown;
  /** After a batch of adds (timed with them). */
  settle?(): Promise<unknown>;
  remove(key: string): unknown;
}

function parts(): Record<string, Part> {
  const map = new Map<string, string>();
  const asyncMap = new Map<string, string>();
  const nativeTree = new BTree<string, object>(undefined, compareUnits);
  const codePointTree = new BTree<string, object>(undefined, compareKeys);
  const store = new MemoryStore();
  const mergedStore = new MemoryStore();
  let sink = '';
  return {
    'JSON.stringify alone': {
      add: (_k, v) => (sink = JSON.stringify(v)),
      remove: () => sink,
    },
    'Map.set + JSON.stringify': {
      add: (k, v) => map.set(k, JSON.stringify(v)),
      remove: (k) => map.delete(k),
    },
    'Map+JSON as the bench calls it (async put, awaited)': {
      add: async (k, v) => void asyncMap.set(k, JSON.stringify(v)),
      remove: (k) => asyncMap.delete(k),
    },
    'B+ tree insert alone (sorted-btree, native compare)': {
      add: (k) => nativeTree.set(k, { raw: '', expiresAt: 0 }),
      remove: (k) => nativeTree.delete(k),
    },
    'B+ tree insert alone (sorted-btree, compareKeys: before the fix)': {
      add: (k) => codePointTree.set(k, { raw: '', expiresAt: 0 }),
      remove: (k) => codePointTree.delete(k),
    },
    'kv-store put (awaited)': {
      add: (k, v) => store.put(k, v),
      remove: (k) => store.delete(k),
    },
    'kv-store put, then one rangeGet that merges the batch into the index': {
      add: (k, v) => mergedStore.put(k, v),
      settle: () => mergedStore.rangeGet('', undefined, { limit: 1 }),
      remove: (k) => mergedStore.delete(k),
    },
  };
}

const table: Record<string, Record<number, number>> = {};
for (const size of sizes) {
  const order = shuffledIndexes(size);
  const keys = order.map((i) => sampleKey(i));
  const values = order.map((i) => sampleValue(i));
  const held = size - BATCH;
  const subjects = parts();
  for (const part of Object.values(subjects)) {
    for (let i = 0; i < held; i++) await part.add(keys[i] as string, values[i]);
    await part.settle?.();
  }
  const rounds = await interleavedRounds(Object.keys(subjects), ROUNDS, async (name) => {
    const part = subjects[name] as Part;
    const started = process.hrtime.bigint();
    for (let i = held; i < size; i++) await part.add(keys[i] as string, values[i]);
    await part.settle?.();
    const us = Number(process.hrtime.bigint() - started) / 1e3 / BATCH;
    for (let i = held; i < size; i++) await part.remove(keys[i] as string);
    return { us };
  });
  for (const [name, values_] of Object.entries(rounds.us ?? {})) {
    (table[name] ??= {})[size] = median(values_);
  }
}

const label = (size: number): string =>
  size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1_000}k`;
const lines = [
  `A put of a new key, part by part: µs per key, random key order, ~200-byte JSON values, ${ROUNDS} rounds of ${BATCH.toLocaleString('en-US')} keys going round the parts (every part awaited one call at a time, as the bench calls them).`,
  '',
  `| part | ${sizes.map((s) => `µs at ${label(s)}`).join(' | ')} |`,
  `| --- | ${sizes.map(() => '---').join(' | ')} |`,
  ...Object.entries(table).map(
    ([name, bySize]) =>
      `| ${name} | ${sizes.map((s) => (bySize[s] ?? Number.NaN).toFixed(2)).join(' | ')} |`,
  ),
  '',
];
for (const size of sizes) {
  const mapJson =
    table['Map+JSON as the bench calls it (async put, awaited)']?.[size] ?? Number.NaN;
  const tree = table['B+ tree insert alone (sorted-btree, native compare)']?.[size] ?? Number.NaN;
  const store = table['kv-store put (awaited)']?.[size] ?? Number.NaN;
  const merged =
    table['kv-store put, then one rangeGet that merges the batch into the index']?.[size] ??
    Number.NaN;
  lines.push(
    `At ${label(size)}: 0.7x Map+JSON allows ${(mapJson / 0.7).toFixed(2)} µs per put, so ${(mapJson / 0.7 - mapJson).toFixed(2)} µs for everything a store adds to Map+JSON; a B+ tree insert alone takes ${tree.toFixed(2)} µs. The store's put takes ${store.toFixed(2)} µs (${(mapJson / store).toFixed(2)}x Map+JSON), and ${merged.toFixed(2)} µs with its share of the merge at the next ordered read.`,
  );
}
console.log(lines.join('\n'));
