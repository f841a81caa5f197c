import { Redis } from 'ioredis';
import { createStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs } from '../support/measure.js';

// argv: subjects ('kv-store', 'plain SET'), quick. Row: redis-bytes (INFO used_memory per key).
const { subjects, quick } = scriptArgs();
const port = Number(process.env.BENCH_REDIS_PORT);
const size = quick ? 2_000 : 100_000;
const admin = new Redis({ port, host: '127.0.0.1' });

async function usedMemory(): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function bytesPerKey(subject: string): Promise<number> {
  const prefix = `bytes-${subject === 'kv-store' ? 'store' : 'plain'}:`;
  const before = await usedMemory();
  if (subject === 'kv-store') {
    const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: prefix });
    for (let start = 0; start < size; start += 1000) {
      const batch: Array<[string, unknown]> = [];
      for (let i = start; i < start + 1000; i++) batch.push([sampleKey(i), sampleValue(i)]);
      await store.putMany(batch);
    }
    const after = await usedMemory();
    await store.clear();
    await store.close();
    return (after - before) / size;
  }
  for (let start = 0; start < size; start += 1000) {
    const pipeline = admin.pipeline();
    for (let i = start; i < start + 1000; i++)
      pipeline.set(prefix + sampleKey(i), JSON.stringify(sampleValue(i)));
    await pipeline.exec();
  }
  const after = await usedMemory();
  // By name: a SCAN would walk every key of the server (1.1M range keys after the range job).
  for (let start = 0; start < size; start += 1000) {
    const keys: string[] = [];
    for (let i = start; i < start + 1000; i++) keys.push(prefix + sampleKey(i));
    await admin.del(...keys);
  }
  return (after - before) / size;
}

const rows = await interleavedRounds(subjects, 1, async (subject) => ({
  'redis-bytes': await bytesPerKey(subject),
}));
await admin.quit();
reportRounds(rows);
