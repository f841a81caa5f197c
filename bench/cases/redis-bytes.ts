import { Redis } from 'ioredis';
import { createStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { report } from '../support/measure.js';

// argv: subject ('kv-store' | 'plain SET'), quick. Measures INFO used_memory per key.
const [subjectName = 'kv-store', quick = '0'] = process.argv.slice(2);
const port = Number(process.env.BENCH_REDIS_PORT);
const size = quick === '1' ? 10_000 : 100_000;
const prefix = `bytes-${subjectName === 'kv-store' ? 'store' : 'plain'}:`;
const admin = new Redis({ port, host: '127.0.0.1' });

async function usedMemory(): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

const before = await usedMemory();
if (subjectName === 'kv-store') {
  const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: prefix });
  for (let start = 0; start < size; start += 1000) {
    const batch: Array<[string, unknown]> = [];
    for (let i = start; i < start + 1000; i++) batch.push([sampleKey(i), sampleValue(i)]);
    await store.putMany(batch);
  }
  const after = await usedMemory();
  await store.clear();
  await store.close();
  report({ value: (after - before) / size, unit: 'bytes/key' });
} else {
  for (let start = 0; start < size; start += 1000) {
    const pipeline = admin.pipeline();
    for (let i = start; i < start + 1000; i++)
      pipeline.set(prefix + sampleKey(i), JSON.stringify(sampleValue(i)));
    await pipeline.exec();
  }
  const after = await usedMemory();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await admin.del(...keys);
  } while (cursor !== '0');
  report({ value: (after - before) / size, unit: 'bytes/key' });
}
await admin.quit();
