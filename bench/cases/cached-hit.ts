import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cached, KvStore, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { sampleValue } from '../support/fixtures.js';
import { interleavedSequentialRates, reportGroup } from '../support/measure.js';

// argv: comma-separated subjects ('cached', 'store.get', 'store.get prebuilt'), backend
// ('memory' | 'redis'), quick. The subjects share one store and are measured together.
const [subjectList = 'cached', backend = 'memory', quick = '0'] = process.argv.slice(2);

@Injectable()
class PageService {
  calls = 0;

  @Cached(3600)
  async page(id: number): Promise<Record<string, unknown>> {
    this.calls++;
    return sampleValue(id);
  }
}

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
const KEYS = 1000;
for (let i = 0; i < KEYS; i++) await pages.page(i);
const keys = Array.from({ length: KEYS }, (_, i) => `cached:PageService.page:[${i}]`);
if ((await store.get(keys[0] as string)) === undefined)
  throw new Error('unexpected cache key layout');

const count = quick === '1' ? 200 : backend === 'redis' ? 2_000 : 20_000;
const operations: Record<string, (i: number) => Promise<unknown>> = {
  cached: (i) => pages.page(i % KEYS),
  // What a caller writes by hand: build the key from the arguments, then get.
  'store.get': (i) => store.get(`cached:PageService.page:[${i % KEYS}]`),
  // The bare lookup, with keys built before the clock starts.
  'store.get prebuilt': (i) => store.get(keys[i % KEYS] as string),
};
const measured = Object.fromEntries(
  subjectList.split(',').map((subject) => {
    const operation = operations[subject];
    if (!operation) throw new Error(`unknown subject ${subject}`);
    return [subject, operation];
  }),
);
const rates = await interleavedSequentialRates(measured, count, quick === '1' ? 2 : 20);
if (pages.calls !== KEYS)
  throw new Error(`the method ran ${pages.calls} times; hits must not run it`);
await app.close();
reportGroup({ unit: 'ops/s', values: rates });
