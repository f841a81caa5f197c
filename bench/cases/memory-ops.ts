import { MEMORY_SUBJECTS } from '../support/memory-subjects.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { report, sequentialRate } from '../support/measure.js';

// argv: subject, 'get' | 'put', quick ('1' or '0')
const [subjectName = 'kv-store', op = 'get', quick = '0'] = process.argv.slice(2);
const factory = MEMORY_SUBJECTS[subjectName];
if (!factory) throw new Error(`unknown memory subject ${subjectName}`);

const KEYS = 10_000;
const count = quick === '1' ? 20_000 : 200_000;
const subject = factory();
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
for (let i = 0; i < KEYS; i++) await subject.put(keys[i] as string, values[i]);

const rate =
  op === 'put'
    ? await sequentialRate(count, 3, (i) => subject.put(keys[i % KEYS] as string, values[i % KEYS]))
    : await sequentialRate(count, 3, (i) => subject.get(keys[i % KEYS] as string));
await subject.close();
report({ value: rate, unit: 'ops/s' });
