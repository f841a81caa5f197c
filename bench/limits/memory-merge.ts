import sortedBtree from 'sorted-btree';
import {
  KeyIndex,
  PENDING,
  type IndexedValue,
  type MergeThresholds,
} from '../../lib/memory/key-index.js';
import { sampleKey, shuffledIndexes } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// How the memory store's deferred index should merge its pending keys: one by one in arrival
// order, sorted then one by one, or by rebuilding the tree in one sorted pass. For an index of
// `size` keys and `ratio * size` pending ones, it times the merge (the first ordered read) each
// way, and what the same keys cost the old eager index (a B+ tree insert per put, in arrival
// order). Nanoseconds per pending key, in rounds that go round the four; bench/notes/investigations.md
// quotes its output and lib/memory/key-index.ts takes its thresholds from it.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node --max-old-space-size=6144 .tmp/bench/bench/limits/memory-merge.js [sizes] [ratios]
//
// Without arguments it runs 100k keys only (30 s here); bench/notes/investigations.md's table is
// `100000,1000000 0.003,0.01,0.1,0.3,1`, which takes several minutes at 1M.

const BTree = sortedBtree.default;
const sizes = (process.argv[2] ?? '100000').split(',').map(Number);
const ratios = (process.argv[3] ?? '0.001,0.01,0.1,0.3,1').split(',').map(Number);
const ROUNDS = 5;

interface Value extends IndexedValue {
  n: number;
}

interface Way {
  /** Times the arrival and first ordered read of `keys` (not held yet); returns nanoseconds. */
  time(keys: string[], values: Value[]): number;
  remove(keys: string[], values: Value[]): void;
}

function indexWay(merge: MergeThresholds, held: string[], heldValues: Value[]): Way {
  const index = new KeyIndex<Value>(merge);
  for (let i = 0; i < held.length; i++) index.add(held[i] as string, heldValues[i] as Value);
  index.entries().next();
  return {
    time(keys, values) {
      for (let i = 0; i < keys.length; i++) index.add(keys[i] as string, values[i] as Value);
      const started = process.hrtime.bigint();
      index.entries().next();
      return Number(process.hrtime.bigint() - started);
    },
    remove(keys, values) {
      for (let i = 0; i < keys.length; i++) index.delete(keys[i] as string, values[i] as Value);
    },
  };
}

function eagerWay(held: string[], heldValues: Value[]): Way {
  const tree = new BTree<string, Value>(undefined, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < held.length; i++) tree.set(held[i] as string, heldValues[i] as Value);
  return {
    time(keys, values) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < keys.length; i++) tree.set(keys[i] as string, values[i] as Value);
      return Number(process.hrtime.bigint() - started);
    },
    remove(keys) {
      for (const key of keys) tree.delete(key);
    },
  };
}

const label = (size: number): string =>
  size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1_000}k`;
const lines = [
  `Merging pending keys into the memory store's index: ns per pending key (median of ${ROUNDS} rounds going round the four ways), random key order.`,
  '',
  '| keys held | pending keys | eager: tree insert per put (old) | merge one by one, arrival order | merge sorted, one by one | merge by rebuild |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const size of sizes) {
  const maxPending = Math.ceil(size * Math.max(...ratios));
  const order = shuffledIndexes(size + maxPending);
  const allKeys = order.map((i) => sampleKey(i));
  const held = allKeys.slice(0, size);
  const heldValues = held.map((_, n): Value => ({ n, indexState: PENDING }));
  const ways: Record<string, Way> = {
    eager: eagerWay(held, heldValues),
    'arrival order': indexWay({ sortFrom: 1e9, rebuildFrom: 1e9 }, held, heldValues.map(copy)),
    sorted: indexWay({ sortFrom: 0, rebuildFrom: 1e9 }, held, heldValues.map(copy)),
    rebuild: indexWay({ sortFrom: 0, rebuildFrom: 0 }, held, heldValues.map(copy)),
  };
  for (const ratio of ratios) {
    const count = Math.ceil(size * ratio);
    const keys = allKeys.slice(size, size + count);
    const rows = await interleavedRounds(Object.keys(ways), ROUNDS, async (name) => {
      const way = ways[name] as Way;
      const values = keys.map((_, n): Value => ({ n, indexState: PENDING }));
      const ns = way.time(keys, values) / count;
      way.remove(keys, values);
      return { ns };
    });
    const ns = (name: string): string => median(rows.ns?.[name] ?? []).toFixed(0);
    lines.push(
      `| ${label(size)} | ${count.toLocaleString('en-US')} (${ratio * 100}%) | ${ns('eager')} | ${ns('arrival order')} | ${ns('sorted')} | ${ns('rebuild')} |`,
    );
  }
}
console.log(lines.join('\n'));

function copy(value: Value): Value {
  return { n: value.n, indexState: PENDING };
}
