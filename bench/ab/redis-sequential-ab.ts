import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { createStore as CreateStore, KvStore } from '../../lib/index.js';
import { startBenchRedis } from '../support/bench-redis.js';
import { buildRef } from '../support/build-ref.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { alternatingSequentialRounds, median } from '../support/measure.js';
import { REDIS_SUBJECTS, type RedisSubject } from '../support/redis-subjects.js';

// Same-process A/B of the Redis store's get and put awaited one at a time: the library as built
// from a git ref ("before") against this checkout's dist/ ("after"), with ioredis and node-redis
// 5 as yardsticks, all on one redis-server, in blocks of 10 calls going round the subjects.
//
//   npm run build && npx tsc -p bench/tsconfig.json
//   node .tmp/bench/bench/ab/redis-sequential-ab.js --before=<git ref> [--rounds=9] [--ops=get,put]

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ref = arg('before', 'main');
const rounds = Number(arg('rounds', '9'));
const ops = arg('ops', 'get,put').split(',');
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CALLS = 2_000;
const KEYS = 1_000;

type Factory = typeof CreateStore;
const loadFactory = async (path: string): Promise<Factory> =>
  ((await import(pathToFileURL(path).href)) as { createStore: Factory }).createStore;

const server = await startBenchRedis();
const subjects = new Map<string, RedisSubject>();
const stores: KvStore[] = [];
for (const [name, path] of [
  ['before', buildRef(repo, ref)],
  ['after', join(repo, 'dist', 'index.js')],
] as const) {
  const store = (await loadFactory(path))({
    type: 'redis',
    host: '127.0.0.1',
    port: server.port,
    keyPrefix: `ab-${name}:`,
  });
  stores.push(store);
  subjects.set(name, {
    put: (k, v) => store.put(k, v),
    get: (k) => store.get(k),
    close: () => store.close(),
  });
}
for (const name of ['ioredis', 'node-redis 5']) {
  const factory = REDIS_SUBJECTS[name];
  if (factory === undefined) throw new Error(`unknown Redis subject ${name}`);
  subjects.set(name, await factory(server.port, `ab-${name}:`));
}
const keys = Array.from({ length: KEYS }, (_, i) => sampleKey(i));
const values = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
for (const subject of subjects.values()) {
  for (let i = 0; i < KEYS; i++) await subject.put(keys[i] as string, values[i]);
}

const names = [...subjects.keys()];
const lines = [
  `One call awaited at a time, ${CALLS} calls per subject per round in blocks of 10 going round the subjects, ${rounds} rounds; before = ${ref}; Redis ${server.version}.`,
  '',
  '| op | after vs before (time, paired) | before vs fastest client | after vs fastest client |',
  '| --- | --- | --- | --- |',
];
for (const op of ops) {
  const rates = await alternatingSequentialRounds(names, rounds, CALLS, 10, (name, i) => {
    const subject = subjects.get(name) as RedisSubject;
    const k = i % KEYS;
    return op === 'put'
      ? subject.put(keys[k] as string, values[k])
      : subject.get(keys[k] as string);
  });
  const at = (name: string, r: number): number => (rates[name] as number[])[r] as number;
  const fastest = (r: number): number => Math.max(at('ioredis', r), at('node-redis 5', r));
  const range = [...Array(rounds).keys()];
  const paired = (f: (r: number) => number): string => median(range.map(f)).toFixed(3);
  lines.push(
    `| ${op} | ${paired((r) => at('before', r) / at('after', r))}x | ${paired((r) => at('before', r) / fastest(r))}x | ${paired((r) => at('after', r) / fastest(r))}x |`,
  );
}
console.log(lines.join('\n'));
for (const subject of subjects.values()) await subject.close();
await server.stop();
