import { REDIS_SUBJECTS } from '../support/redis-subjects.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { concurrentRate, report } from '../support/measure.js';

// argv: subject, 'get' | 'put', in-flight count, quick
const [subjectName = 'kv-store', op = 'get', inFlightText = '1', quick = '0'] =
  process.argv.slice(2);
const factory = REDIS_SUBJECTS[subjectName];
if (!factory) throw new Error(`unknown Redis subject ${subjectName}`);
const inFlight = Number(inFlightText);

const KEYS = 10_000;
const subject = await factory(Number(process.env.BENCH_REDIS_PORT));
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
for (let start = 0; start < KEYS; start += 500) {
  await Promise.all(
    keys.slice(start, start + 500).map((k, i) => subject.put(k, values[start + i])),
  );
}

const count = quick === '1' ? 2_000 : 60_000;
const operation =
  op === 'put'
    ? (i: number) => subject.put(keys[i % KEYS] as string, values[i % KEYS])
    : (i: number) => subject.get(keys[i % KEYS] as string);
const rate = await concurrentRate(count, inFlight, 3, operation);
await subject.close();
report({ value: rate, unit: 'ops/s' });
