import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MemoryStore } from '../../lib/index.js';
import { buildRef } from '../support/build-ref.js';
import { sampleKey, sampleValue, shuffledIndexes } from '../support/fixtures.js';
import { median } from '../support/measure.js';

// Same-process A/B of the memory store's put (new keys and overwrites) and get: the library as
// built from a git ref ("before") against this checkout's dist/ ("after"), with Map+JSON as the
// common yardstick, in rounds that go round the three subjects. For the two stores it also times
// the first rangeGet after the fill (when new keys join the ordered index), the fill and that
// rangeGet together, and the frontier workload: 100 puts of new keys in random positions, then a
// rangeGet of 100 keys, repeated, on one filled store per library in many short rounds going
// round the two (Map+JSON has no ordered read, so it sits these out).
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node .tmp/bench/bench/ab/memory-insert-ab.js --before=<git ref> [--keys=100000] [--rounds=7]
//     [--frontier-rounds=30]

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ref = arg('before', 'main');
const keyCount = Number(arg('keys', '100000'));
const rounds = Number(arg('rounds', '7'));
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

interface Subject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  range?(start: string, limit: number): Promise<unknown[]>;
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
  return {
    put: (k, v) => store.put(k, v),
    get: (k) => store.get(k),
    range: (start, limit) => store.rangeGet(start, undefined, { limit }),
    close: () => store.close(),
  };
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

const frontierRounds = Number(arg('frontier-rounds', '30'));
const FRONTIER_CYCLES = 50;
const FRONTIER_PUTS = 100;
const FRONTIER_ROW = `frontier: ${FRONTIER_PUTS} new puts + rangeGet(100), per cycle`;
let frontierRound = 0;

/** Nanoseconds of one call of `op`. */
async function nsOf(op: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await op();
  return Number(process.hrtime.bigint() - started);
}

/**
 * One frontier cycle after another: 100 puts of new keys (each sorts just after a held key, so
 * they land in random positions), then a rangeGet of 100 keys from a random held key. Returns
 * nanoseconds per cycle.
 */
async function frontier(subject: Subject & Required<Pick<Subject, 'range'>>): Promise<number> {
  const tag = `:f${frontierRound++}`;
  let next = 0;
  const started = process.hrtime.bigint();
  for (let cycle = 0; cycle < FRONTIER_CYCLES; cycle++) {
    for (let p = 0; p < FRONTIER_PUTS; p++, next++) {
      await subject.put(`${keys[next % keyCount] as string}${tag}`, values[next % keyCount]);
    }
    const rows = await subject.range(keys[(next * 7919) % keyCount] as string, 100);
    if (rows.length === 0) throw new Error('frontier rangeGet returned no rows');
  }
  return Number(process.hrtime.bigint() - started) / FRONTIER_CYCLES;
}

/** One round of one subject: a fresh store filled with new keys, then overwritten, then read. */
async function round(name: string): Promise<Record<string, number>> {
  const subject = (subjects[name] as () => Subject)();
  const fillStarted = process.hrtime.bigint();
  const insert = await nsPerCall((i) => subject.put(keys[i] as string, values[i]));
  const figures: Record<string, number> = { 'put new key': insert };
  const range = subject.range;
  if (range !== undefined) {
    const first = await nsOf(() => range(keys[0] as string, 100));
    figures['first rangeGet(100) after the fill'] = first;
    figures['fill + first rangeGet, per key'] =
      Number(process.hrtime.bigint() - fillStarted) / keyCount;
  }
  figures['put overwrite'] = await nsPerCall((i) => subject.put(keys[i] as string, values[i]));
  figures.get = await nsPerCall((i) => subject.get(keys[i] as string));
  await subject.close();
  return figures;
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

// The frontier workload: one filled store per library, then many short rounds going round them.
const frontierStores: Record<string, Subject & Required<Pick<Subject, 'range'>>> = {};
for (const name of ['before', 'after']) {
  const subject = (subjects[name] as () => Subject)();
  const range = subject.range as NonNullable<Subject['range']>;
  for (let i = 0; i < keyCount; i++) await subject.put(keys[i] as string, values[i]);
  await range(keys[0] as string, 1);
  frontierStores[name] = { ...subject, range };
}
const frontierNames = Object.keys(frontierStores);
for (let r = -1; r < frontierRounds; r++) {
  for (let k = 0; k < frontierNames.length; k++) {
    const name = frontierNames[(r + 1 + k) % frontierNames.length] as string;
    const ns = await frontier(frontierStores[name] as Subject & Required<Pick<Subject, 'range'>>);
    if (r >= 0) ((samples[FRONTIER_ROW] ??= {})[name] ??= []).push(ns); // round -1: warm-up
  }
}
for (const subject of Object.values(frontierStores)) await subject.close();

const ratio = (op: string, a: string, b: string): string => {
  const as = samples[op]?.[a];
  const bs = samples[op]?.[b];
  if (as === undefined || bs === undefined) return '-';
  return `${median(as.map((value, r) => (bs[r] as number) / value)).toFixed(2)}x`;
};
console.log(
  `memory store A/B: ${keyCount} keys, ${rounds} rounds (frontier: ${frontierRounds} rounds of ${FRONTIER_CYCLES} cycles), before = ${ref}`,
);
console.log(
  '| operation | before µs | after µs | map+json µs | after vs before | before vs map+json | after vs map+json |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const op of Object.keys(samples)) {
  const us = (name: string): string => {
    const figures = samples[op]?.[name];
    return figures === undefined ? '-' : (median(figures) / 1000).toFixed(2);
  };
  console.log(
    `| ${op} | ${us('before')} | ${us('after')} | ${us('map+json')} | ${ratio(op, 'after', 'before')} | ${ratio(op, 'before', 'map+json')} | ${ratio(op, 'after', 'map+json')} |`,
  );
}
