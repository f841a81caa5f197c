import { subscribe } from 'node:diagnostics_channel';
import {
  NEAR_CACHE_INVALIDATED_CHANNEL,
  RedisStore,
  type NearCacheInvalidatedMessage,
  type NearCacheTrackingMode,
} from '../../lib/index.js';
import { forkHelper, type Forked } from '../support/forked.js';
import { interleavedRounds, percentile, reportRounds } from '../support/measure.js';

// argv: comma-separated subjects (tracking modes: 'default', 'broadcast'), quick. Instance A
// (this process, near cache on) holds a key; instance B (a forked process) writes it. A sample is
// the time from B's put resolving in B to the entry being gone in A, taken two ways, alternating
// sample by sample:
// - idle: A waits in its event loop and timestamps the near cache's announcement on the
//   'nestjs-kv-store:near-cache:invalidated' diagnostics channel (published right after the
//   entry is dropped). A uses no CPU meanwhile, so the figure is the message's delay, not the
//   measurement's.
// - busy: A spins on get (yielding to I/O between gets) and timestamps the start of its first
//   get that no longer answers from the near cache: the staleness a reader that never idles sees,
//   including the time slices A loses to Redis and B by occupying a core.
// 0 means A dropped the entry before B had its acknowledgement. Each round takes SAMPLES of each
// way per mode and reports their p50 and p99.
const [subjectList = 'default', quick = '0'] = process.argv.slice(2);
const port = Number(process.env.BENCH_REDIS_PORT);
const SAMPLES = quick === '1' ? 50 : 1_000;
const ROUNDS = quick === '1' ? 1 : 3;
/** Longer than any delay worth reporting: the announcement was lost (a bug), not late. */
const GIVE_UP_MS = 10_000;
const KEY = 'hot';

/** Instance A and its writer B for one tracking mode. */
interface Pair {
  a: RedisStore;
  b: Forked<{ ackAt?: string }>;
  nextAck(): Promise<bigint>;
  /** The value B wrote last (A reads it before each sample). */
  value: number;
}

/** Resolves the hrtime of the announcement that dropped KEY in `waitingFor`. */
let waitingFor: { store: RedisStore; resolve: (at: bigint) => void } | undefined;
subscribe(NEAR_CACHE_INVALIDATED_CHANNEL, (message) => {
  const at = process.hrtime.bigint();
  const { store, keys } = message as NearCacheInvalidatedMessage;
  if (waitingFor?.store === store && (keys === null || keys.includes(KEY))) waitingFor.resolve(at);
});

async function openPair(mode: NearCacheTrackingMode): Promise<Pair> {
  const prefix = `bench-near-inv-${mode}:`;
  const a = new RedisStore({
    host: '127.0.0.1',
    port,
    keyPrefix: prefix,
    nearCache: { maxEntries: 100, mode },
  });
  await a.connect();
  for (let tries = 0; (await a.getStats()).nearCache?.active !== true; tries++) {
    if (tries > 100) throw new Error('the near cache did not establish tracking');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const b = forkHelper<{ ackAt?: string }>('near-cache-writer', [String(port), prefix]);
  await b.nextReply();
  await a.put(KEY, 0);
  return {
    a,
    b,
    nextAck: async () => BigInt((await b.nextReply()).ackAt as string),
    value: 0,
  };
}

/** One write by B; resolves milliseconds from its acknowledgement to the entry gone in A. */
async function sample(pair: Pair, idle: boolean): Promise<number> {
  const { a, b } = pair;
  // Cache the current value: the first get fills, the second must be a hit.
  await a.get(KEY);
  if ((await a.get(KEY)) !== pair.value) throw new Error('A did not read the previous value');
  const value = ++pair.value;
  const ack = pair.nextAck();
  let goneAt: bigint;
  if (idle) {
    let timer: NodeJS.Timeout | undefined;
    const gone = new Promise<bigint>((resolve, reject) => {
      waitingFor = { store: a, resolve };
      timer = setTimeout(() => reject(new Error('no announcement of the write')), GIVE_UP_MS);
    });
    b.child.send({ key: KEY, value });
    goneAt = await gone;
    clearTimeout(timer);
    waitingFor = undefined;
  } else {
    b.child.send({ key: KEY, value });
    for (;;) {
      const startedAt = process.hrtime.bigint();
      if ((await a.get(KEY)) === value) {
        goneAt = startedAt;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return Math.max(0, Number(goneAt - (await ack)) / 1e6);
}

const modes = subjectList.split(',') as NearCacheTrackingMode[];
const pairs = new Map<string, Pair>();
for (const mode of modes) pairs.set(mode, await openPair(mode));
const rows = await interleavedRounds(modes, ROUNDS, async (mode) => {
  const pair = pairs.get(mode) as Pair;
  const idle: number[] = [];
  const busy: number[] = [];
  for (let s = 0; s < SAMPLES * 2; s++) {
    if (s % 2 === 0) idle.push(await sample(pair, true));
    else busy.push(await sample(pair, false));
  }
  idle.sort((x, y) => x - y);
  busy.sort((x, y) => x - y);
  return {
    'near-cache-invalidation-p50': percentile(idle, 0.5),
    'near-cache-invalidation-p99': percentile(idle, 0.99),
    'near-cache-invalidation-busy-p50': percentile(busy, 0.5),
    'near-cache-invalidation-busy-p99': percentile(busy, 0.99),
  };
});
for (const { a, b } of pairs.values()) {
  await b.stop();
  await a.clear();
  await a.close();
}
reportRounds(rows);
