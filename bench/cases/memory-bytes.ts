import { MemoryStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs } from '../support/measure.js';

// argv: subjects ('kv-store', 'map+json'), quick. Row: memory-bytes. Needs node --expose-gc.
const { subjects, quick } = scriptArgs();
const size = quick ? 5_000 : 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

// Keys and values are made during the fill; the temporary objects are garbage by the measurement.
async function bytesPerKey(subject: string): Promise<number> {
  const before = heapUsed();
  let holder: MemoryStore | Map<string, string>;
  if (subject === 'kv-store') {
    const store = new MemoryStore();
    for (let i = 0; i < size; i++) await store.put(sampleKey(i), sampleValue(i));
    // New keys join the ordered index at the first ordered read: count the index built.
    await store.rangeGet('', undefined, { limit: 1 });
    holder = store;
  } else {
    const map = new Map<string, string>();
    for (let i = 0; i < size; i++) map.set(sampleKey(i), JSON.stringify(sampleValue(i)));
    holder = map;
  }
  const after = heapUsed();
  if (holder instanceof MemoryStore) await holder.close();
  else holder.clear();
  return (after - before) / size;
}

const rows = await interleavedRounds(subjects, 1, async (subject) => ({
  'memory-bytes': await bytesPerKey(subject),
}));
reportRounds(rows);
