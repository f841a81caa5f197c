import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cached, KvStore, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { sampleValue } from '../support/fixtures.js';
import { interleavedSequentialRates, reportGroup } from '../support/measure.js';

// argv: comma-separated subjects ('cached tags+jitter', 'cached plain', 'cached swr'), backend
// ('memory' | 'redis'), quick. The subjects share one store and are measured together, in
// alternating rounds: the cost that tags and jitter add to a hit, if any.
const [subjectList = 'cached tags+jitter', backend = 'memory', quick = '0'] = process.argv.slice(2);

@Injectable()
class PageService {
  calls = 0;

  @Cached(3600)
  async plain(id: number): Promise<Record<string, unknown>> {
    this.calls++;
    return sampleValue(id);
  }

  @Cached<[number], Record<string, unknown>>({
    ttl: 3600,
    jitter: 0.1,
    tags: (id) => [`page:${id}`, 'pages'],
  })
  async tagged(id: number): Promise<Record<string, unknown>> {
    this.calls++;
    return sampleValue(id);
  }

  @Cached({ ttl: 3600, staleWhileRevalidate: 600 })
  async stale(id: number): Promise<Record<string, unknown>> {
    this.calls++;
    return sampleValue(id);
  }
}

const storeOptions: StoreOptions =
  backend === 'redis'
    ? { type: 'redis', port: Number(process.env.BENCH_REDIS_PORT), keyPrefix: 'bench-tags:' }
    : { type: 'memory' };

@Module({ imports: [KvStoreModule.forRoot(storeOptions)], providers: [PageService] })
class BenchModule {}

const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
const pages = app.get(PageService);
await app.get(KvStore).clear();
const KEYS = 1000;
for (let i = 0; i < KEYS; i++) {
  await pages.plain(i);
  await pages.tagged(i);
  await pages.stale(i);
}

const count = quick === '1' ? 200 : backend === 'redis' ? 2_000 : 20_000;
const operations: Record<string, (i: number) => Promise<unknown>> = {
  'cached tags+jitter': (i) => pages.tagged(i % KEYS),
  'cached plain': (i) => pages.plain(i % KEYS),
  'cached swr': (i) => pages.stale(i % KEYS),
};
const measured = Object.fromEntries(
  subjectList.split(',').map((subject) => {
    const operation = operations[subject];
    if (!operation) throw new Error(`unknown subject ${subject}`);
    return [subject, operation];
  }),
);
const rates = await interleavedSequentialRates(measured, count, quick === '1' ? 2 : 20);
if (pages.calls !== 3 * KEYS) {
  throw new Error(`the methods ran ${pages.calls} times; hits must not run them`);
}
await app.close();
reportGroup({ unit: 'ops/s', values: rates });
