import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MemoryStore } from '../../lib/index.js';
import { buildRef } from '../support/build-ref.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// Same-process A/B of two builds of the memory store as bench/cases/memory-ops.ts measures a
// store: one long-lived store per build holding `keys - batch` keys, and windows of `batch`
// calls (puts of new keys, overwrites, gets, one awaited at a time) in rounds that go round the
// builds and Map+JSON. With --ordered, each store serves one rangeGet after its fill, as a store
// that lists its keys once (an admin page) does. Written to judge a change of the store's value
// layout (bench/notes/investigations.md, "Memory: a value layout tried and reverted"). Both builds' windows
// in a round read the same keys. --before is a git ref; --after a git ref, or this checkout's
// dist/ when omitted.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node --max-old-space-size=12000 .tmp/bench/bench/ab/memory-layout-ab.js --before=<ref>
//     [--after=<ref>] [--keys=1000000] [--rounds=15] [--ordered]

const arg = (name: string, fallback?: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const keyCount = Number(arg('keys', '1000000'));
const rounds = Number(arg('rounds', '15'));
const ordered = process.argv.includes('--ordered');
const batch = Math.min(30_000, Math.floor(keyCount / 5));
const held = keyCount - batch;

type StoreClass = new () => MemoryStore;
async function storeClass(ref: string | undefined): Promise<StoreClass> {
  const entry = ref === undefined ? join(repo, 'dist', 'index.js') : buildRef(repo, ref);
  return ((await import(pathToFileURL(entry).href)) as { MemoryStore: StoreClass }).MemoryStore;
}
const beforeRef = arg('before');
if (beforeRef === undefined) throw new Error('--before=<git ref> is required');
const afterRef = arg('after');

interface Subject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  drop(keys: readonly string[]): Promise<unknown>;
}

function storeSubject(store: MemoryStore): Subject {
  return {
    put: (k, v) => store.put(k, v),
    get: (k) => store.get(k),
    drop: (keys) => store.deleteMany([...keys]),
  };
}

const order = shuffledIndexes(keyCount);
const keys = order.map((i) => sampleKey(i));
const values = order.map((i) => sampleValue(i));
const fill: Array<[string, unknown]> = keys.slice(0, held).map((k, i) => [k, values[i]]);

const subjects: Record<string, Subject> = {};
for (const [name, ref] of [
  ['before', beforeRef],
  ['after', afterRef],
] as const) {
  const store = new (await storeClass(ref))();
  await store.putMany(fill);
  if (ordered) await store.rangeGet('', undefined, { limit: 1 });
  subjects[name] = storeSubject(store);
}
const map = new Map<string, string>();
for (const [k, v] of fill) map.set(k, JSON.stringify(v));
subjects['map+json'] = {
  put: async (k, v) => void map.set(k, JSON.stringify(v)),
  get: async (k) => {
    const text = map.get(k);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  },
  drop: async (ks) => {
    for (const k of ks) map.delete(k);
  },
};

/** Milliseconds of `batch` calls of `op(i)`, one awaited at a time. */
async function windowMs(op: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) await op(i);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const newKeys = keys.slice(held);
// Keys of a stretch in a random order: in fill order, a build whose entries were allocated in that
// order would read them one after another in memory, which no user's gets do.
const stride = shuffledIndexes(batch, 7);
const names = Object.keys(subjects);
let calls = 0;
const rows = await interleavedRounds(names, rounds, async (name) => {
  const subject = subjects[name] as Subject;
  // Every subject's windows of one round read the same held keys, new stretches each round; the
  // gets read keys no window of the round wrote, as a get of a key written long ago does.
  const round = Math.floor(calls++ / names.length);
  const start = (round * 2 * batch) % (held - 2 * batch + 1);
  const written = start + batch;
  const figures = {
    'put new key': await windowMs((i) => subject.put(keys[held + i] as string, values[held + i])),
    'put overwrite': await windowMs((i) => {
      const k = written + (stride[i] as number);
      return subject.put(keys[k] as string, values[k]);
    }),
    get: await windowMs((i) => subject.get(keys[start + (stride[i] as number)] as string)),
  };
  await subject.drop(newKeys);
  return figures;
});

console.log(
  `memory store layout A/B: ${held} keys held, windows of ${batch} calls, ${rounds} rounds${ordered ? ', one rangeGet after the fill' : ''}; before = ${beforeRef}, after = ${afterRef ?? 'dist/'}`,
);
console.log('| operation | before ms | after ms | map+json ms | after / before time (paired) |');
console.log('| --- | --- | --- | --- | --- |');
for (const [row, bySubject] of Object.entries(rows)) {
  const ms = (name: string): number[] => bySubject[name] ?? [];
  const paired = median(ms('after').map((t, r) => t / (ms('before')[r] as number)));
  console.log(
    `| ${row} | ${median(ms('before')).toFixed(0)} | ${median(ms('after')).toFixed(0)} | ${median(ms('map+json')).toFixed(0)} | ${paired.toFixed(3)}x |`,
  );
}
