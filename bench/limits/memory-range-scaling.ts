import { PerformanceObserver } from 'node:perf_hooks';
import type { MemoryStore } from '../../lib/index.js';
import { KeyIndex, PENDING, type IndexedValue } from '../../lib/memory/key-index.js';
import { memoryStoreInKeyOrder, sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// Where a memory rangeGet(100) spends the extra time at 1M keys against 10k: the store's call,
// and its parts on their own over the same data (a walk of 100 index entries, and JSON.parse of
// 100 values of consecutive keys), each at every size in the same rounds, plus JSON.parse of
// the same 100 values on every call (always in cache) as the control. µs per call (median of
// 200 calls per round) and the 1M / 10k ratio of each part, paired within rounds.
// bench/notes/investigations.md quotes its output.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node --max-old-space-size=6144 .tmp/bench/bench/limits/memory-range-scaling.js [10000,1000000]

const sizes = (process.argv[2] ?? '10000,1000000').split(',').map(Number);
const ROUNDS = 15;
const CALLS = 200;
const RANGE = 100;

interface Entry extends IndexedValue {
  raw: string;
  expiresAt: number;
}

interface Data {
  store: MemoryStore;
  index: KeyIndex<Entry>;
  raws: string[];
}

const data = new Map<number, Data>();
for (const size of sizes) {
  // Filled in key order, as the bench's range case fills its stores.
  const store = await memoryStoreInKeyOrder(size);
  await store.rangeGet('', undefined, { limit: 1 });
  const index = new KeyIndex<Entry>();
  const raws: string[] = [];
  for (let i = 0; i < size; i++) {
    const raw = JSON.stringify(sampleValue(i));
    raws.push(raw);
    index.add(sampleKey(i), { raw, expiresAt: 0, indexState: PENDING });
  }
  index.entries().next();
  data.set(size, { store, index, raws });
}

let seed = 42;
const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
let sink = 0;

const parts: Record<string, (d: Data, size: number) => Promise<void> | void> = {
  'kv-store rangeGet(100)': async (d, size) => {
    const start = Math.floor(random() * (size - RANGE));
    const rows = await d.store.rangeGet(sampleKey(start), sampleKey(start + RANGE));
    sink += rows.length;
  },
  'index walk of 100 entries (no decode)': (d, size) => {
    const start = Math.floor(random() * (size - RANGE));
    let n = 0;
    for (const [, entry] of d.index.entries(sampleKey(start))) {
      sink += entry.raw.length;
      if (++n === RANGE) break;
    }
  },
  'JSON.parse of 100 consecutive values': (d, size) => {
    const start = Math.floor(random() * (size - RANGE));
    for (let i = start; i < start + RANGE; i++)
      sink += (JSON.parse(d.raws[i] as string) as object) ? 1 : 0;
  },
  'JSON.parse of the same 100 values every call (in cache)': (d) => {
    for (let i = 0; i < RANGE; i++) sink += (JSON.parse(d.raws[i] as string) as object) ? 1 : 0;
  },
};

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

const rows = await interleavedRounds(Object.keys(parts), ROUNDS, async (name) => {
  const part = parts[name] as (d: Data, size: number) => Promise<void> | void;
  const figures: Record<string, number> = {};
  for (const size of sizes) {
    const d = data.get(size) as Data;
    const times: number[] = [];
    // GC entries reach the observer from the event loop: let the earlier ones in first.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const gcBefore = gcMs;
    for (let c = 0; c < CALLS; c++) {
      const started = process.hrtime.bigint();
      await part(d, size);
      times.push(Number(process.hrtime.bigint() - started) / 1e3);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    figures[`us-${size}`] = median(times);
    figures[`gc-${size}`] = ((gcMs - gcBefore) * 1e3) / CALLS;
  }
  return figures;
});

const label = (size: number): string =>
  size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1_000}k`;
const [small, large] = [sizes[0] as number, sizes[sizes.length - 1] as number];
const lines = [
  `rangeGet(100) and its parts: µs per call (median of ${CALLS} calls, median of ${ROUNDS} rounds going round the parts), stores filled in key order; GC: µs of garbage collection per call (mean).`,
  '',
  `| part | ${sizes.map((s) => `µs at ${label(s)}`).join(' | ')} | ${label(large)} / ${label(small)} (paired) | ${sizes.map((s) => `GC µs at ${label(s)}`).join(' | ')} |`,
  `| --- | ${sizes.map(() => '---').join(' | ')} | --- | ${sizes.map(() => '---').join(' | ')} |`,
];
for (const name of Object.keys(parts)) {
  const us = (size: number): number[] => rows[`us-${size}`]?.[name] ?? [];
  const gc = (size: number): number[] => rows[`gc-${size}`]?.[name] ?? [];
  const ratio = median(us(large).map((value, r) => value / (us(small)[r] as number)));
  lines.push(
    `| ${name} | ${sizes.map((s) => median(us(s)).toFixed(1)).join(' | ')} | ${ratio.toFixed(2)}x | ${sizes.map((s) => median(gc(s)).toFixed(1)).join(' | ')} |`,
  );
}
console.log(lines.join('\n'));
if (sink < 0) console.log(sink);
for (const d of data.values()) await d.store.close();
