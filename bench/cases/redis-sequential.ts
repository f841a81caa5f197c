import { REDIS_SUBJECTS, type RedisSubject } from '../support/redis-subjects.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedSequentialRates, reportGroup } from '../support/measure.js';

// argv: comma-separated subjects, 'get' | 'put', quick
// One awaited call at a time is bound by the round trip, which drifts with the load of the
// machine: every subject is measured in this one process, in rounds that go round them.
const [subjectList = 'kv-store', op = 'get', quick = '0'] = process.argv.slice(2);
const port = Number(process.env.BENCH_REDIS_PORT);
const names = subjectList.split(',');

const KEYS = 2_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));

const subjects = new Map<string, RedisSubject>();
for (const [n, name] of names.entries()) {
  const factory = REDIS_SUBJECTS[name];
  if (!factory) throw new Error(`unknown Redis subject ${name}`);
  // Each subject keeps its own keys, so a get reads what that subject wrote.
  const subject = await factory(port, `bench-seq${n}:`);
  for (let i = 0; i < KEYS; i++) await subject.put(keys[i] as string, values[i]);
  subjects.set(name, subject);
}

const ops = Object.fromEntries(
  [...subjects].map(([name, subject]) => [
    name,
    op === 'put'
      ? (i: number) => subject.put(keys[i % KEYS] as string, values[i % KEYS])
      : (i: number) => subject.get(keys[i % KEYS] as string),
  ]),
);
const rates = await interleavedSequentialRates(
  ops,
  quick === '1' ? 200 : KEYS,
  quick === '1' ? 2 : 20,
);
for (const subject of subjects.values()) await subject.close();
reportGroup({ unit: 'ops/s', values: rates });
