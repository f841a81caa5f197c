// One application instance of the near-cache coherence check, in its own process, on the built
// package. argv[2]: JSON settings (see `settings` below). It reads and writes a small set of keys
// until told to stop (a `stop` line on stdin), or until `maxMs` or `maxOps`, whichever comes
// first, and records every operation as one JSON line in `historyFile`:
//   { op: 'get' | 'put' | 'delete', k, v, s, e, ok, err? }   s, e: ms before the call / after it settled
//   (a journal put writes a key of its own, `j:<name>:<n>`, that nothing else writes: the test
//   checks afterwards that every acknowledged one is still there)
//   (a batch, putMany or deleteMany, records one line per key with the same s, e, ok and a batch
//   number b: `batchShare` of writes are batches of two keys; a journal batch writes three keys of
//   `batchJournalKeys`, all in one shard, so that the test can check it changed all or none)
//   { op: 'stats', t, active, hits, misses, flushes, entries }  the near cache's figures, every 500 ms
// Times are the machine's monotonic clock in ms, which every process reads alike (historyNow in
// test/support/coherence-workers.ts says why not performance.timeOrigin).
// stdout: one JSON line when ready ({ event: 'ready', active }) and one when done ({ event: 'done' }).
//
// mode 'default' or 'broadcast': a store with the near cache in that mode (plus `nearCache`
// extras such as maxAge), or 'none': no near cache. mode 'never-invalidated': the control, a store without the near cache
// behind a Map that keeps every value read or written and never drops one; the check must flag it.
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { createStore } from '../../dist/index.js';

const settings = {
  name: 'worker',
  port: 6379,
  /** Where the store connects instead of 127.0.0.1:port (e.g. { sentinels, sentinelName } or { cluster }). */
  connection: undefined,
  keyPrefix: 'coherence:',
  mode: 'default',
  nearCache: {},
  /** Every key it reads. */
  keys: ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'],
  /** Keys every instance writes, often (60% of its writes). */
  sharedKeys: ['k0', 'k1', 'k2'],
  /**
   * Keys only this instance writes (the rest): the others learn of these writes only
   * through invalidations, never through a write of their own, so a lost one stays visible.
   */
  ownKeys: [],
  /** Keys written rarely by anyone (0.3%): a SWAPDB's old value of one of them stays cached. */
  rareKeys: ['k6', 'k7'],
  /** Store timeout, seconds. */
  timeout: 1,
  /** The store's `circuitBreaker` option (undefined: off). */
  circuitBreaker: undefined,
  maxMs: 90_000,
  maxOps: 200_000,
  /** Share of writes that are journal puts (keys of their own, never overwritten). */
  journalShare: 0,
  /** Share of writes made as putMany or deleteMany (one in ten) of two keys. */
  batchShare: 0,
  /** Journal keys, all of one shard, for journal batches of three. */
  batchJournalKeys: [],
  /** Share of journal puts made as a journal batch while `batchJournalKeys` last. */
  journalBatchShare: 0,
  /** Pause after each operation, ms (keeps 7 processes from saturating 2 cores). */
  pauseMs: 1,
  historyFile: '',
  ...JSON.parse(process.argv[2] ?? '{}'),
};

const now = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const history = createWriteStream(settings.historyFile);
const record = (entry) => history.write(`${JSON.stringify(entry)}\n`);

const control = settings.mode === 'never-invalidated';
const store = createStore({
  type: 'redis',
  ...(settings.connection ?? { host: '127.0.0.1', port: settings.port }),
  keyPrefix: settings.keyPrefix,
  timeout: settings.timeout,
  ...(settings.circuitBreaker === undefined ? {} : { circuitBreaker: settings.circuitBreaker }),
  ...(control || settings.mode === 'none'
    ? {}
    : { nearCache: { maxEntries: 1000, mode: settings.mode, ...settings.nearCache } }),
});
const kept = new Map();
const get = async (key) => {
  if (!control) return store.get(key);
  if (kept.has(key)) return kept.get(key);
  const value = await store.get(key);
  if (value !== null) kept.set(key, value);
  return value;
};
const put = async (key, value) => {
  await store.put(key, value);
  if (control) kept.set(key, value);
};
const remove = async (key) => {
  await store.delete(key);
  if (control) kept.delete(key);
};
const putMany = async (entries) => {
  await store.putMany(entries);
  if (control) for (const [key, value] of entries) kept.set(key, value);
};
const deleteMany = async (keys) => {
  await store.deleteMany(keys);
  if (control) for (const key of keys) kept.delete(key);
};
const nearStats = async () =>
  control || settings.mode === 'none' ? undefined : (await store.getStats()).nearCache;

let stopping = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stop') stopping = true;
});
process.stdin.on('end', () => (stopping = true));

// On a loaded machine the first connection can take longer than the store's timeout (1 s): keep
// waiting for it, within the 10 s the worker also gives its near cache.
const readyBy = Date.now() + 10_000;
for (;;) {
  try {
    await store.connect();
    break;
  } catch (error) {
    if (Date.now() >= readyBy) throw error;
    await sleep(100);
  }
}
let active = control || settings.mode === 'none';
while (!active && Date.now() < readyBy) {
  active = (await nearStats().catch(() => undefined))?.active === true;
  if (!active) await sleep(50);
}
process.stdout.write(`${JSON.stringify({ event: 'ready', active })}\n`);

const sampleStats = async () => {
  const t = now();
  const stats = await nearStats().catch(() => undefined);
  if (stats) {
    const { active, hits, misses, flushes, entries } = stats;
    record({ op: 'stats', t, active, hits, misses, flushes, entries });
  }
};
const statsTimer =
  control || settings.mode === 'none' ? undefined : setInterval(() => void sampleStats(), 500);

const deadline = Date.now() + settings.maxMs;
let seq = 0;
let ops = 0;
let batches = 0;
let journalBatchKeys = 0;
/** Two distinct keys this instance may write (shared ones, or its own). */
const twoWritable = () => {
  const writable = [...new Set([...settings.sharedKeys, ...settings.ownKeys])];
  const first = pick(writable);
  const second = pick(writable.filter((key) => key !== first));
  return second === undefined ? [first] : [first, second];
};
/** Runs one batch and records a line per key, like single writes. */
const batch = async (op, entries) => {
  const b = ++batches;
  const s = now();
  let ok = true;
  let err;
  try {
    if (op === 'delete') await deleteMany(entries.map(([k]) => k));
    else await putMany(entries);
  } catch (error) {
    ok = false;
    err = String(error?.code ?? error?.name ?? error);
  }
  const e = now();
  for (const [k, v] of entries) record({ op, k, v, s, e, ok, b, ...(ok ? {} : { err }) });
  return ok;
};
while (!stopping && ops < settings.maxOps && Date.now() < deadline) {
  ops++;
  const roll = Math.random();
  let entry;
  const s = now();
  try {
    if (roll < 0.75) {
      const k = pick(settings.keys);
      entry = { op: 'get', k, s };
      entry.v = await get(k);
    } else {
      const which = Math.random();
      const k =
        which < 0.003
          ? pick(settings.rareKeys)
          : which < 0.6 || settings.ownKeys.length === 0
            ? pick(settings.sharedKeys)
            : pick(settings.ownKeys);
      const journalBatchLeft = journalBatchKeys + 3 <= settings.batchJournalKeys.length;
      if (
        Math.random() < settings.journalShare &&
        journalBatchLeft &&
        Math.random() < settings.batchShare
      ) {
        const names = settings.batchJournalKeys.slice(journalBatchKeys, (journalBatchKeys += 3));
        const ok = await batch(
          'put',
          names.map((k) => [k, `${settings.name}:${++seq}`]),
        );
        await sleep(ok ? settings.pauseMs : 20);
        continue;
      } else if (Math.random() < settings.journalShare) {
        entry = { op: 'put', k: `j:${settings.name}:${++seq}`, v: `${settings.name}:${seq}`, s };
        await put(entry.k, entry.v);
      } else if (Math.random() < settings.batchShare) {
        const keys = twoWritable();
        const ok =
          Math.random() < 0.1
            ? await batch(
                'delete',
                keys.map((k) => [k, null]),
              )
            : await batch(
                'put',
                keys.map((k) => [k, `${settings.name}:${++seq}`]),
              );
        await sleep(ok ? settings.pauseMs : 20);
        continue;
      } else if (roll < 0.76) {
        entry = { op: 'delete', k, v: null, s };
        await remove(k);
      } else {
        entry = { op: 'put', k, v: `${settings.name}:${++seq}`, s };
        await put(k, entry.v);
      }
    }
    entry.e = now();
    entry.ok = true;
  } catch (error) {
    entry.e = now();
    entry.ok = false;
    entry.err = String(error?.code ?? error?.name ?? error);
  }
  record(entry);
  // Between operations the event loop must run: a near-cache hit never yields, and an
  // invalidation is only read when it does.
  await sleep(entry.ok ? settings.pauseMs : 20);
}

clearInterval(statsTimer);
await sampleStats();
await store.close().catch(() => undefined);
await new Promise((resolve) => history.end(resolve));
// stdin may still be open (stopped by maxMs or maxOps): exit once the line is out.
process.stdout.write(`${JSON.stringify({ event: 'done', ops })}\n`, () => process.exit(0));
