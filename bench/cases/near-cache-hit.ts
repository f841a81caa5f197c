import { MemoryStore, RedisStore } from '../../lib/index.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, sequentialRate } from '../support/measure.js';
import { REDIS_SUBJECTS } from '../support/redis-subjects.js';

// argv: comma-separated subjects ('kv-store' = the Redis store answering from its near cache,
// 'memory store', 'node-redis' = @redis/client GET + JSON.parse), quick. One get awaited at a
// time; every subject is measured in this one process, in rounds that go round them.
const [subjectList = 'kv-store', quick = '0'] = process.argv.slice(2);
const port = Number(process.env.BENCH_REDIS_PORT);

const KEYS = 1_000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const entries = keys.map((key, i): [string, unknown] => [key, sampleValue(i)]);

const near = new RedisStore({
  host: '127.0.0.1',
  port,
  keyPrefix: 'bench-near-hit:',
  nearCache: { maxEntries: KEYS },
});
await near.connect();
for (let tries = 0; (await near.getStats()).nearCache?.active !== true; tries++) {
  if (tries > 100) throw new Error('the near cache did not establish tracking');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await near.putMany(entries);
for (const key of keys) await near.get(key);
const memory = new MemoryStore();
await memory.putMany(entries);
const nodeRedis = await (
  REDIS_SUBJECTS['node-redis 5'] as NonNullable<(typeof REDIS_SUBJECTS)['node-redis 5']>
)(port, 'bench-near-hit-node-redis:');
for (const [key, value] of entries) await nodeRedis.put(key, value);

const operations: Record<string, (i: number) => Promise<unknown>> = {
  'kv-store': (i) => near.get(keys[i % KEYS] as string),
  'memory store': (i) => memory.get(keys[i % KEYS] as string),
  'node-redis': (i) => nodeRedis.get(keys[i % KEYS] as string),
};
const measured = Object.fromEntries(
  subjectList.split(',').map((subject) => {
    const operation = operations[subject];
    if (!operation) throw new Error(`unknown subject ${subject}`);
    return [subject, operation];
  }),
);
const before = (await near.getStats()).nearCache;
const count = quick === '1' ? 1_000 : 10_000;
const rows = await interleavedRounds(
  Object.keys(measured),
  quick === '1' ? 1 : 10,
  async (subject) => ({
    'near-cache-hit': await sequentialRate(
      count,
      measured[subject] as (i: number) => Promise<unknown>,
    ),
  }),
);
const after = (await near.getStats()).nearCache;
// Every get of the measured rounds must have been a hit, or the figure is not a hit's.
if (before === undefined || after === undefined || after.misses !== before.misses) {
  throw new Error(`near-cache gets went to Redis: ${JSON.stringify({ before, after })}`);
}
await near.clear();
await near.close();
await memory.close();
await nodeRedis.close();
reportRounds(rows);
