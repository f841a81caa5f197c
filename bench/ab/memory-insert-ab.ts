import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MemoryStore } from '../../lib/index.js';
import { buildRef } from '../support/build-ref.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { median } from '../support/measure.js';

// Same-process A/B of the memory store's put (new keys and overwrites) and get: the library as
// built from a git ref ("before") against this checkout's dist/ ("after"), with Map+JSON as the
// common yardstick, in rounds that go round the three subjects.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node .tmp/bench/bench/ab/memory-insert-ab.js --before=<git ref> [--keys=100000] [--rounds=7]

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ref = arg('before', 'main');
const keyCount = Number(arg('keys', '100000'));
const rounds = Number(arg('rounds', '7'));
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

interface Subject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

type StoreClass = new () => MemoryStore;
const Before = (
  (await import(pathToFileURL(buildRef(repo, ref)).href)) as { MemoryStore: StoreClass }
).MemoryStore;
const After = (
  (await import(pathToFileURL(join(repo, 'dist', 'index.js')).href)) as {
    MemoryStore: StoreClass;
  }
).MemoryStore;

const storeSubject = (Store: StoreClass) => (): Subject => {
  const store = new Store();
  return { put: (k, v) => store.put(k, v), get: (k) => store.get(k), close: () => store.close() };
};
const subjects: Record<string, () => Subject> = {
  before: storeSubject(Before),
  after: storeSubject(After),
  'map+json': () => {
    const map = new Map<string, string>();
    return {
      put: async (k, v) => void map.set(k, JSON.stringify(v)),
      get: async (k) => {
        const text = map.get(k);
        return text === undefined ? undefined : (JSON.parse(text) as unknown);
      },
      close: async () => map.clear(),
    };
  },
};

const order = shuffledIndexes(keyCount);
const keys = order.map((i) => sampleKey(i));
const values = order.map((i) => sampleValue(i));

/** Nanoseconds per call of `op(i)` for i in [0, keyCount), one awaited at a time. */
async function nsPerCall(op: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < keyCount; i++) await op(i);
  return Number(process.hrtime.bigint() - started) / keyCount;
}

/** One round of one subject: a fresh store filled with new keys, then overwritten, then read. */
async function round(name: string): Promise<Record<string, number>> {
  const subject = (subjects[name] as () => Subject)();
  const insert = await nsPerCall((i) => subject.put(keys[i] as string, values[i]));
  const overwrite = await nsPerCall((i) => subject.put(keys[i] as string, values[i]));
  const get = await nsPerCall((i) => subject.get(keys[i] as string));
  await subject.close();
  return { 'put new key': insert, 'put overwrite': overwrite, get };
}

const names = Object.keys(subjects);
const samples: Record<string, Record<string, number[]>> = {};
for (const name of names) await round(name); // warm-up
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length] as string;
    for (const [op, ns] of Object.entries(await round(name))) {
      ((samples[op] ??= {})[name] ??= []).push(ns);
    }
  }
}

const ratio = (op: string, a: string, b: string): number => {
  const as = samples[op]?.[a] as number[];
  const bs = samples[op]?.[b] as number[];
  return median(as.map((value, r) => (bs[r] as number) / value));
};
console.log(`memory store A/B: ${keyCount} keys, ${rounds} rounds, before = ${ref}`);
console.log(
  '| operation | before µs | after µs | map+json µs | after vs before | before vs map+json | after vs map+json |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const op of Object.keys(samples)) {
  const us = (name: string): string => (median(samples[op]?.[name] as number[]) / 1000).toFixed(2);
  console.log(
    `| ${op} | ${us('before')} | ${us('after')} | ${us('map+json')} | ${ratio(op, 'after', 'before').toFixed(2)}x | ${ratio(op, 'before', 'map+json').toFixed(2)}x | ${ratio(op, 'after', 'map+json').toFixed(2)}x |`,
  );
}
