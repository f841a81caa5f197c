import { REDIS_SUBJECTS, type RedisSubject } from '../support/redis-subjects.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import {
  burstRate,
  interleavedRounds,
  reportRounds,
  scriptArgs,
  sequentialRate,
  windowRate,
} from '../support/measure.js';

// argv: subjects, 'get' | 'put', quick. Rows: redis-<op>-burst (1000 calls issued in one tick,
// awaited together), redis-<op>-window (1000 workers, each awaiting its call and issuing the
// next) and redis-<op>-sequential (one awaited at a time). Every subject is measured in this one
// process, in rounds that go round them; each keeps its own keys.
const { subjects: names, args, quick } = scriptArgs();
const op = args[0] === 'put' ? 'put' : 'get';
const port = Number(process.env.BENCH_REDIS_PORT);
const IN_FLIGHT = 1000;
const KEYS = quick ? 1_000 : 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
const concurrentCount = quick ? 1_000 : 10_000;
const sequentialCount = quick ? 50 : 1_000;

const subjects = new Map<string, RedisSubject>();
for (const [n, name] of names.entries()) {
  const factory = REDIS_SUBJECTS[name];
  if (!factory) throw new Error(`unknown Redis subject ${name}`);
  const subject = await factory(port, `bench-${op}${n}:`);
  // Every get reads a key the subject wrote; every put overwrites one.
  await burstRate(KEYS, IN_FLIGHT, (i) => subject.put(keys[i] as string, values[i]));
  subjects.set(name, subject);
}

let offset = 0;
const rows = await interleavedRounds(names, quick ? 1 : 7, async (name) => {
  const subject = subjects.get(name) as RedisSubject;
  offset = (offset + 997) % KEYS;
  const call =
    op === 'put'
      ? (i: number) => {
          const k = (offset + i) % KEYS;
          return subject.put(keys[k] as string, values[k]);
        }
      : (i: number) => subject.get(keys[(offset + i) % KEYS] as string);
  return {
    [`redis-${op}-burst`]: await burstRate(concurrentCount, IN_FLIGHT, call),
    [`redis-${op}-window`]: await windowRate(concurrentCount, IN_FLIGHT, call),
    [`redis-${op}-sequential`]: await sequentialRate(sequentialCount, call),
  };
});
for (const subject of subjects.values()) await subject.close();
reportRounds(rows);
