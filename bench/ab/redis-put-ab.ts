import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import type { createStore as CreateStore } from '../../lib/index.js';
import { startBenchRedis, type BenchRedis } from '../support/bench-redis.js';
import { buildRef } from '../support/build-ref.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { burstRate, median, sequentialRate, windowRate } from '../support/measure.js';
import { REDIS_SUBJECTS, type RedisSubject } from '../support/redis-subjects.js';

// Same-process A/B of the Redis store's puts and gets in the three arrival patterns of
// bench/cases/redis-ops.ts: the library as built from a git ref ("before") against this
// checkout's dist/ ("after"), with node-redis 5 and ioredis as yardsticks, in rounds that go round
// the subjects. Each subject has its own redis-server, so the server figures (CPU time per call
// from INFO cpu, INFO commandstats per command) are its own.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node .tmp/bench/bench/ab/redis-put-ab.js --before=<git ref> [--rounds=7] [--ops=put,get]

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ref = arg('before', 'main');
const rounds = Number(arg('rounds', '7'));
const ops = arg('ops', 'put,get').split(',') as Array<'put' | 'get'>;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

type Factory = typeof CreateStore;
const loadFactory = async (path: string): Promise<Factory> =>
  ((await import(pathToFileURL(path).href)) as { createStore: Factory }).createStore;
const factories: Record<string, Factory> = {
  before: await loadFactory(buildRef(repo, ref)),
  after: await loadFactory(join(repo, 'dist', 'index.js')),
};

const KEYS = 10_000;
const IN_FLIGHT = 1000;
const CONCURRENT = 10_000;
const SEQUENTIAL = 1000;
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));

interface Contender {
  subject: RedisSubject;
  server: BenchRedis;
  admin: Redis;
}

const contenders = new Map<string, Contender>();
for (const name of ['before', 'after', 'node-redis 5', 'ioredis']) {
  const server = await startBenchRedis();
  const factory = factories[name];
  let subject: RedisSubject;
  if (factory) {
    const store = factory({
      type: 'redis',
      host: '127.0.0.1',
      port: server.port,
      keyPrefix: 'ab:',
    });
    await store.ping();
    subject = {
      put: (k, v) => store.put(k, v),
      get: (k) => store.get(k),
      close: () => store.close(),
    };
  } else {
    subject = await (REDIS_SUBJECTS[name] as (port: number) => Promise<RedisSubject>)(server.port);
  }
  await burstRate(KEYS, IN_FLIGHT, (i) => subject.put(keys[i] as string, values[i]));
  contenders.set(name, { subject, server, admin: new Redis({ port: server.port }) });
}

/** Server CPU seconds so far (user + system), from INFO cpu. */
async function serverCpu(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** calls and usec of each command since the last reset, from INFO commandstats. */
async function commandStats(admin: Redis): Promise<Record<string, [number, number]>> {
  const info = await admin.info('commandstats');
  const out: Record<string, [number, number]> = {};
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm)) {
    if (m[1] !== 'info' && m[1] !== 'config') out[m[1] as string] = [Number(m[2]), Number(m[3])];
  }
  return out;
}

const patterns = {
  burst: (call: (i: number) => Promise<unknown>) => burstRate(CONCURRENT, IN_FLIGHT, call),
  window: (call: (i: number) => Promise<unknown>) => windowRate(CONCURRENT, IN_FLIGHT, call),
  sequential: (call: (i: number) => Promise<unknown>) => sequentialRate(SEQUENTIAL, call),
};
const rows = ops.flatMap((op) => Object.keys(patterns).map((pattern) => `${op}-${pattern}`));
/** row -> subject -> per round: [ops/s, server CPU µs per call, client CPU µs per call]. */
const samples: Record<string, Record<string, Array<[number, number, number]>>> = {};
/** row -> subject -> command -> summed [calls, usec] over the measured rounds. */
const stats: Record<string, Record<string, Record<string, [number, number]>>> = {};
let offset = 0;

/** Measures `row` for `name` once; records the figures unless it is the warm-up. */
async function measure(row: string, name: string, record: boolean): Promise<void> {
  const { subject, admin } = contenders.get(name) as Contender;
  offset = (offset + 997) % KEYS;
  const [op, pattern] = row.split('-') as ['put' | 'get', keyof typeof patterns];
  const call =
    op === 'put'
      ? (i: number) => subject.put(keys[(offset + i) % KEYS] as string, values[(offset + i) % KEYS])
      : (i: number) => subject.get(keys[(offset + i) % KEYS] as string);
  await admin.config('RESETSTAT');
  const cpuBefore = await serverCpu(admin);
  const clientBefore = process.cpuUsage();
  const rate = await patterns[pattern](call);
  const client = process.cpuUsage(clientBefore);
  const count = pattern === 'sequential' ? SEQUENTIAL : CONCURRENT;
  const cpuUs = ((await serverCpu(admin)) - cpuBefore) * 1e6;
  if (!record) return;
  ((samples[row] ??= {})[name] ??= []).push([
    rate,
    cpuUs / count,
    (client.user + client.system) / count,
  ]);
  const sums = ((stats[row] ??= {})[name] ??= {});
  for (const [command, [calls, usec]] of Object.entries(await commandStats(admin))) {
    const sum = (sums[command] ??= [0, 0]);
    sum[0] += calls;
    sum[1] += usec;
  }
}

// Each row goes round the subjects before the next row starts, so the figures of one round of a
// row were taken within a second or two of each other.
const names = [...contenders.keys()];
for (const row of rows) for (const name of names) await measure(row, name, false);
for (let r = 0; r < rounds; r++) {
  for (const row of rows) {
    for (let k = 0; k < names.length; k++) {
      await measure(row, names[(r + k) % names.length] as string, true);
    }
  }
}

const ratio = (row: string, a: string, b: string): string => {
  const as = samples[row]?.[a] ?? [];
  const bs = samples[row]?.[b] ?? [];
  return `${median(as.map(([rate], r) => rate / (bs[r] as [number, number, number])[0])).toFixed(2)}x`;
};
console.log(
  `Redis store A/B: ${rounds} rounds, before = ${ref}; paired ratios are medians of per-round ratios.`,
);
console.log('');
console.log(
  '| row | before ops/s | after ops/s | node-redis 5 ops/s | after vs before | before vs node-redis 5 | after vs node-redis 5 | after vs ioredis |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  const rate = (name: string): string =>
    Math.round(median((samples[row]?.[name] ?? []).map(([r]) => r))).toLocaleString('en-US');
  console.log(
    `| ${row} | ${rate('before')} | ${rate('after')} | ${rate('node-redis 5')} | ${ratio(row, 'after', 'before')} | ${ratio(row, 'before', 'node-redis 5')} | ${ratio(row, 'after', 'node-redis 5')} | ${ratio(row, 'after', 'ioredis')} |`,
  );
}
console.log('');
console.log(
  'CPU per call (medians over rounds; the server from INFO cpu) and INFO commandstats summed over the rounds:',
);
console.log('');
console.log(
  '| row | subject | client CPU µs per call | server CPU µs per call | commands: calls per 1000 calls, usec_per_call |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) {
  for (const name of names) {
    const cpu = median((samples[row]?.[name] ?? []).map(([, us]) => us)).toFixed(2);
    const client = median((samples[row]?.[name] ?? []).map(([, , us]) => us)).toFixed(2);
    const count = (row.endsWith('sequential') ? SEQUENTIAL : CONCURRENT) * rounds;
    const commands = Object.entries(stats[row]?.[name] ?? {})
      .map(
        ([command, [calls, usec]]) =>
          `${command} ${((calls * 1000) / count).toFixed(1)}, ${(usec / calls).toFixed(2)} µs`,
      )
      .join('; ');
    console.log(`| ${row} | ${name} | ${client} | ${cpu} | ${commands} |`);
  }
}

for (const { subject, admin, server } of contenders.values()) {
  await subject.close();
  await admin.quit();
  await server.stop();
}
