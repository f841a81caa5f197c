import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvStore, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { PageService, cacheAsideByHand, pageKey } from '../support/cached-pages.js';
import {
  alternatingSequentialRounds,
  interleavedRounds,
  reportRounds,
  scriptArgs,
  sequentialRate,
} from '../support/measure.js';

// argv: subjects ('cached', 'cache-aside by hand', 'store.get prebuilt'), backend
// ('memory' | 'redis'), quick. Row: cached-hit-<backend>. The subjects share one store.
const { subjects, args, quick } = scriptArgs();
const backend = args[0] === 'redis' ? 'redis' : 'memory';

const storeOptions: StoreOptions =
  backend === 'redis'
    ? { type: 'redis', port: Number(process.env.BENCH_REDIS_PORT), keyPrefix: 'bench-cached:' }
    : { type: 'memory' };

@Module({ imports: [KvStoreModule.forRoot(storeOptions)], providers: [PageService] })
class BenchModule {}

const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
const pages = app.get(PageService);
const store = app.get(KvStore);
// Each process starts cold, also on the Redis server that earlier processes of this case used.
await store.clear();
const KEYS = quick ? 100 : 1000;
for (let i = 0; i < KEYS; i++) await pages.page(i);
const keys = Array.from({ length: KEYS }, (_, i) => pageKey(i));
if ((await store.get(keys[0] as string)) === undefined)
  throw new Error('unexpected cache key layout');

const count = quick ? 100 : backend === 'redis' ? 2_000 : 20_000;

const pageByHand = cacheAsideByHand(store);

const operations: Record<string, (i: number) => Promise<unknown>> = {
  cached: (i) => pages.page(i % KEYS),
  'cache-aside by hand': (i) => pageByHand(i % KEYS),
  // The bare lookup, with keys built before the clock starts.
  'store.get prebuilt': (i) => store.get(keys[i % KEYS] as string),
};
for (const subject of subjects) {
  if (!operations[subject]) throw new Error(`unknown subject ${subject}`);
}
const call = (subject: string, i: number): Promise<unknown> =>
  (operations[subject] as (i: number) => Promise<unknown>)(i);
// A Redis hit is a round trip: blocks of 10 calls going round the subjects (see
// alternatingSequentialRounds); a memory hit takes microseconds, so rounds of 20,000 calls.
const rows =
  backend === 'redis'
    ? {
        [`cached-hit-${backend}`]: await alternatingSequentialRounds(
          subjects,
          quick ? 1 : 9,
          count,
          quick ? 5 : 10,
          call,
        ),
      }
    : await interleavedRounds(subjects, quick ? 1 : 15, async (subject) => ({
        [`cached-hit-${backend}`]: await sequentialRate(count, (i) => call(subject, i)),
      }));
if (pages.calls !== KEYS)
  throw new Error(`the method ran ${pages.calls} times; hits must not run it`);
await app.close();
reportRounds(rows);
