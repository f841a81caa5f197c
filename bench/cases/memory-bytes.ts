import { MemoryStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { report } from '../support/measure.js';

// argv: subject ('kv-store' | 'map+json'), quick. Needs node --expose-gc.
const [subjectName = 'kv-store', quick = '0'] = process.argv.slice(2);
const size = quick === '1' ? 20_000 : 200_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

// Keys and values are made during the fill; the temporary objects are garbage by the measurement.
const before = heapUsed();
let holder: unknown;
if (subjectName === 'kv-store') {
  const store = new MemoryStore();
  for (let i = 0; i < size; i++) await store.put(sampleKey(i), sampleValue(i));
  holder = store;
} else {
  const map = new Map<string, string>();
  for (let i = 0; i < size; i++) map.set(sampleKey(i), JSON.stringify(sampleValue(i)));
  holder = map;
}
const after = heapUsed();
report({ value: (after - before) / size, unit: 'bytes/key' });
if (holder === undefined) throw new Error('unreachable');
