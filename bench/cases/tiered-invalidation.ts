import { forkHelper, type Forked } from '../support/forked.js';
import { interleavedRounds, percentile, reportRounds, scriptArgs } from '../support/measure.js';
import { tieredSubject, type TieredSubject } from '../support/tiered-subjects.js';

// argv: subjects (names of TIERED_SUBJECTS), quick. Per subject, instance A (this process) holds
// a key in its in-process tier and instance B (a forked process, the same library and prefix)
// writes it. A sample is the time from B's write resolving in B to the start of A's first read
// that returns the new value, A reading in a loop that yields to I/O between reads: the staleness
// a reader of each library sees. 0 means A read the new value before B had its acknowledgement.
const { subjects, quick } = scriptArgs();
const port = Number(process.env.BENCH_REDIS_PORT);
const SAMPLES = quick ? 20 : 300;
const KEY = 'hot';

interface Pair {
  a: TieredSubject;
  b: Forked<{ ackAt?: string }>;
  /** The value B wrote last. */
  value: number;
}

async function openPair(name: string, n: number): Promise<Pair> {
  const prefix = `bench-tiered-inv-${n}:`;
  const a = await tieredSubject(name, { port, prefix, timeout: 2, maxEntries: 100 });
  const b = forkHelper<{ ackAt?: string }>('tiered-writer', [name, String(port), prefix]);
  await b.nextReply();
  await a.put(KEY, 0);
  return { a, b, value: 0 };
}

/** One write by B; resolves milliseconds from its acknowledgement to A reading the new value. */
async function sample(pair: Pair): Promise<number> {
  const { a, b } = pair;
  // Hold the current value: the first read fills, the second is answered in process.
  await a.get(KEY);
  if ((await a.get(KEY)) !== pair.value) throw new Error('A did not read the previous value');
  const value = ++pair.value;
  const ack = b.nextReply();
  b.child.send({ key: KEY, value });
  let seenAt: bigint;
  for (;;) {
    const startedAt = process.hrtime.bigint();
    if ((await a.get(KEY)) === value) {
      seenAt = startedAt;
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const ackAt = BigInt((await ack).ackAt as string);
  return Math.max(0, Number(seenAt - ackAt) / 1e6);
}

// Opened side by side: most of this is the start-up of the writers' processes.
const pairs = new Map<string, Pair>(
  await Promise.all(subjects.map(async (name, n) => [name, await openPair(name, n)] as const)),
);
const rows = await interleavedRounds(subjects, quick ? 1 : 3, async (name) => {
  const pair = pairs.get(name) as Pair;
  const delays: number[] = [];
  for (let s = 0; s < SAMPLES; s++) delays.push(await sample(pair));
  delays.sort((x, y) => x - y);
  return {
    'tiered-invalidation-p50': percentile(delays, 0.5),
    'tiered-invalidation-p99': percentile(delays, 0.99),
  };
});
for (const { a, b } of pairs.values()) {
  await b.stop();
  await a.close();
}
reportRounds(rows);
