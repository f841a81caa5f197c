import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvStore, KvStoreModule, type StoreOptions } from '../../lib/index.js';
import { PageService, cacheAsideByHand, pageKey } from '../support/cached-pages.js';
import { redisCli } from '../../test/support/redis-harness.js';
import { startBenchRedis, type BenchRedis } from '../support/bench-redis.js';
import { interleavedRounds, median } from '../support/measure.js';

// Where the time of a memory @Cached hit goes, against the hand-written cache-aside of
// bench/cases/cached-hit.ts (same service, same store, same 1000 keys, one call awaited at a time).
// bench/notes/investigations.md quotes its output. Three modes:
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node .tmp/bench/bench/limits/cached-hit-cost.js
//     nanoseconds per call of each subject, in rounds that go round them (paired, one process)
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//     node .tmp/bench/bench/limits/cached-hit-cost.js count <subject> <calls>
//     runs <calls> calls of one subject after the same warm-up; the instructions of two runs
//     with different <calls>, subtracted and divided by the difference, are the instructions of
//     one call, repeatable on a loaded machine where wall time is not.
//   node .tmp/bench/bench/limits/cached-hit-cost.js redis-commands
//     the same service on a Redis store (the benchmark's own redis-server): the commands the
//     server ran (INFO commandstats) for 1000 hits of each subject, to show a Redis hit makes
//     no round trip a hand-written cache-aside does not.

const mode = process.argv[2];
const redis: BenchRedis | undefined =
  mode === 'redis-commands' ? await startBenchRedis() : undefined;
const storeOptions: StoreOptions =
  redis === undefined
    ? { type: 'memory' }
    : { type: 'redis', port: redis.port, keyPrefix: 'cost:' };

@Module({ imports: [KvStoreModule.forRoot(storeOptions)], providers: [PageService] })
class CostModule {}

const app = await NestFactory.createApplicationContext(CostModule, { logger: false });
const pages = app.get(PageService);
const store = app.get(KvStore);
const KEYS = 1000;
for (let i = 0; i < KEYS; i++) await pages.page(i);
const keys = Array.from({ length: KEYS }, (_, i) => pageKey(i));

const pageByHand = cacheAsideByHand(store);

const subjects: Record<string, (i: number) => Promise<unknown>> = {
  cached: (i) => pages.page(i % KEYS),
  'by hand': (i) => pageByHand(i % KEYS),
  'store.get prebuilt': (i) => store.get(keys[i % KEYS] as string),
};

async function loop(subject: string, calls: number): Promise<void> {
  const op = subjects[subject];
  if (op === undefined) throw new Error(`unknown subject ${subject}`);
  for (let i = 0; i < calls; i++) await op(i);
}

/** `cmdstat_<name>:calls=<n>` lines of INFO commandstats, as name -> calls. */
async function commandCalls(port: number): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, count] of (await redisCli(port, 'INFO', 'commandstats')).matchAll(
    /cmdstat_(\S+?):calls=(\d+)/g,
  )) {
    calls[name as string] = Number(count);
  }
  return calls;
}

const WARM_UP = 50_000;
if (redis !== undefined) {
  const CALLS = 1000;
  for (const name of Object.keys(subjects)) {
    await redisCli(redis.port, 'CONFIG', 'RESETSTAT');
    await loop(name, CALLS);
    const calls = await commandCalls(redis.port);
    // The reset itself (config|resetstat) is counted; INFO is counted after it answers.
    const perHit = Object.entries(calls)
      .filter(([cmd]) => !cmd.startsWith('config'))
      .map(([cmd, n]) => `${cmd} ${(n / CALLS).toFixed(2)}`);
    console.log(`${name.padEnd(20)} commands per hit: ${perHit.join(', ') || 'none'}`);
  }
} else if (mode === 'count') {
  const subject = process.argv[3] ?? 'cached';
  await loop(subject, WARM_UP);
  await loop(subject, Number(process.argv[4] ?? 100_000));
} else {
  const CALLS = 20_000;
  const names = Object.keys(subjects);
  for (const name of names) await loop(name, WARM_UP);
  const rows = await interleavedRounds(names, 21, async (subject) => {
    const started = process.hrtime.bigint();
    await loop(subject, CALLS);
    return { ns: Number(process.hrtime.bigint() - started) / CALLS };
  });
  const ns = rows.ns as Record<string, number[]>;
  const hand = ns['by hand'] as number[];
  for (const name of names) {
    const own = ns[name] as number[];
    const ratio = median(own.map((value, r) => value / (hand[r] as number)));
    console.log(
      `${name.padEnd(20)} ${median(own).toFixed(0).padStart(6)} ns/call  ${ratio.toFixed(3)}x by hand (median of ${own.length} paired rounds)`,
    );
  }
}
if (pages.calls !== KEYS) throw new Error(`the method ran ${pages.calls} times; hits must not`);
await app.close();
await redis?.stop();
