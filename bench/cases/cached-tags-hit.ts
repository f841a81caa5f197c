import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cached, KvStore, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { sampleValue } from '../support/fixtures.js';
import { interleavedRounds, reportRounds, scriptArgs, sequentialRate } from '../support/measure.js';

// argv: subjects ('cached tags+jitter', 'cached plain', 'cached swr'), backend
// ('memory' | 'redis'), quick. Row: cached-tags-hit-<backend>. The subjects share one store and
// are measured in alternating rounds: the cost that tags and jitter add to a hit, if any.
const { subjects, args, quick } = scriptArgs();
const backend = args[0] === 'redis' ? 'redis' : 'memory';

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
// Each process starts cold, also on the Redis server that earlier processes of this case used.
await app.get(KvStore).clear();
const KEYS = quick ? 100 : 1000;
for (let i = 0; i < KEYS; i++) {
  await pages.plain(i);
  await pages.tagged(i);
  await pages.stale(i);
}

const count = quick ? 100 : backend === 'redis' ? 2_000 : 20_000;
const operations: Record<string, (i: number) => Promise<unknown>> = {
  'cached tags+jitter': (i) => pages.tagged(i % KEYS),
  'cached plain': (i) => pages.plain(i % KEYS),
  'cached swr': (i) => pages.stale(i % KEYS),
};
for (const subject of subjects) {
  if (!operations[subject]) throw new Error(`unknown subject ${subject}`);
}
const rows = await interleavedRounds(
  subjects,
  quick ? 1 : backend === 'redis' ? 9 : 15,
  async (subject) => ({
    [`cached-tags-hit-${backend}`]: await sequentialRate(
      count,
      operations[subject] as (i: number) => Promise<unknown>,
    ),
  }),
);
if (pages.calls !== 3 * KEYS) {
  throw new Error(`the methods ran ${pages.calls} times; hits must not run them`);
}
await app.close();
reportRounds(rows);
