import { redisCli } from '../../test/support/redis-harness.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs, sequentialRate } from '../support/measure.js';
import { tieredSubject, type TieredSubject } from '../support/tiered-subjects.js';

// argv: subjects (names of TIERED_SUBJECTS), call ('get': row tiered-l1-hit; 'getorset':
// row tiered-getorset-hit, `@Cached` for ours, `getOrSet` for bentocache), quick. Every key is
// held in every subject's in-process tier before the clock starts, and the measured rounds must
// send no read to Redis: a figure is a hit's.
const { subjects, args, quick } = scriptArgs();
const call = args[0] === 'getorset' ? 'getorset' : 'get';
const row = call === 'get' ? 'tiered-l1-hit' : 'tiered-getorset-hit';
const port = Number(process.env.BENCH_REDIS_PORT);

const KEYS = quick ? 100 : 1_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const built = new Map<string, TieredSubject>();
for (const [n, name] of subjects.entries()) {
  built.set(
    name,
    await tieredSubject(name, {
      port,
      prefix: `bench-tiered-${call}-${n}:`,
      timeout: 2,
      maxEntries: KEYS,
    }),
  );
}
const loader = (i: number) => () => Promise.resolve(sampleValue(i));
const operations = new Map<string, (i: number) => Promise<unknown>>();
for (const [name, subject] of built) {
  const { getOrSet } = subject;
  if (call === 'getorset' && !getOrSet) throw new Error(`${name} has no getOrSet`);
  operations.set(
    name,
    call === 'get'
      ? (i) => subject.get(keys[i % KEYS] as string)
      : (i) =>
          (getOrSet as NonNullable<typeof getOrSet>)(keys[i % KEYS] as string, loader(i % KEYS)),
  );
  // Fill Redis (a put, or the first getOrSet), then read each key once more: a read keeps the
  // value in process.
  for (let i = 0; i < KEYS; i++) {
    if (call === 'get') await subject.put(keys[i] as string, sampleValue(i));
    else await (operations.get(name) as (i: number) => Promise<unknown>)(i);
  }
}

/** Reads every key of every subject until a whole pass is answered in process. */
async function holdEveryKey(): Promise<void> {
  for (let pass = 0; pass < 5; pass++) {
    const before = await redisReads();
    for (const operation of operations.values()) {
      for (let i = 0; i < KEYS; i++) await operation(i);
    }
    if ((await redisReads()) === before) return;
    // Some first reads after a fill still go to Redis (ours through @Cached): read again.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the keys are not held in process after 5 passes');
}

/** Reads Redis served so far (GET and MGET calls), from INFO commandstats. */
async function redisReads(): Promise<number> {
  const stats = await redisCli(port, 'INFO', 'commandstats');
  return [...stats.matchAll(/^cmdstat_(?:get|mget):calls=(\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

await holdEveryKey();
const count = quick ? 1_000 : 10_000;
const rows = await interleavedRounds(subjects, quick ? 1 : 10, async (subject) => {
  const before = await redisReads();
  const rate = await sequentialRate(
    count,
    operations.get(subject) as (i: number) => Promise<unknown>,
  );
  const after = await redisReads();
  if (after !== before) throw new Error(`${after - before} calls of ${subject} went to Redis`);
  return { [row]: rate };
});
for (const subject of built.values()) await subject.close();
reportRounds(rows);
