import { REDIS_SUBJECTS, type RedisSubject } from '../support/redis-subjects.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import {
  alternatingSequentialRounds,
  burstRate,
  interleavedRounds,
  reportRounds,
  scriptArgs,
  windowRate,
} from '../support/measure.js';

// argv: subjects, 'get' | 'put', quick. Rows: redis-<op>-burst (1000 calls issued in one tick,
// awaited together), redis-<op>-window (1000 workers, each awaiting its call and issuing the
// next) and redis-<op>-sequential (one awaited at a time). Every subject is measured in this one
// process, in rounds that go round them; each keeps its own keys. One-at-a-time calls alternate
// between the subjects in blocks of a few calls (see alternatingSequentialRounds).
const { subjects: names, args, quick } = scriptArgs();
const op = args[0] === 'put' ? 'put' : 'get';
const port = Number(process.env.BENCH_REDIS_PORT);
const IN_FLIGHT = 1000;
const KEYS = quick ? 1_000 : 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
const concurrentCount = quick ? 1_000 : 10_000;
const sequentialCount = quick ? 50 : 1_000;
/** Calls per block of the one-at-a-time rows: a few milliseconds of round trips. */
const SEQUENTIAL_BLOCK = 10;

const subjects = new Map<string, RedisSubject>();
for (const [n, name] of names.entries()) {
  const factory = REDIS_SUBJECTS[name];
  if (!factory) throw new Error(`unknown Redis subject ${name}`);
  const subject = await factory(port, `bench-${op}${n}:`);
  // Every get reads a key the subject wrote; every put overwrites one.
  await burstRate(KEYS, IN_FLIGHT, (i) => subject.put(keys[i] as string, values[i]));
  subjects.set(name, subject);
}

/** Call `i` of `subject`: a put overwriting, or a get of, one of its keys from `offset` on. */
function caller(subject: RedisSubject, offset: number): (i: number) => Promise<unknown> {
  return op === 'put'
    ? (i) => {
        const k = (offset + i) % KEYS;
        return subject.put(keys[k] as string, values[k]);
      }
    : (i) => subject.get(keys[(offset + i) % KEYS] as string);
}

let offset = 0;
const rows = await interleavedRounds(names, quick ? 1 : 7, async (name) => {
  offset = (offset + 997) % KEYS;
  const call = caller(subjects.get(name) as RedisSubject, offset);
  return {
    [`redis-${op}-burst`]: await burstRate(concurrentCount, IN_FLIGHT, call),
    [`redis-${op}-window`]: await windowRate(concurrentCount, IN_FLIGHT, call),
  };
});
const sequentialCallers = new Map(
  names.map((name, n) => [name, caller(subjects.get(name) as RedisSubject, n * 1_009)]),
);
rows[`redis-${op}-sequential`] = await alternatingSequentialRounds(
  names,
  quick ? 1 : 7,
  sequentialCount,
  quick ? 5 : SEQUENTIAL_BLOCK,
  (name, i) => (sequentialCallers.get(name) as (i: number) => Promise<unknown>)(i),
);
for (const subject of subjects.values()) await subject.close();
reportRounds(rows);
