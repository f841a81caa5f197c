import { createClient as createNodeRedis5Client } from '@redis/client';
import { Redis } from 'ioredis';
import { startBenchRedis } from '../support/bench-redis.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { alternatingSequentialRounds, median } from '../support/measure.js';

// What a timer per command costs a GET awaited one at a time: ioredis without a timeout, with
// its `commandTimeout` option (a setTimeout and clearTimeout around every command), with a timer
// set and cleared by hand around each call, and node-redis 5 for scale. The store bounds its
// commands with one timer per connection instead (lib/redis/connection/command-deadlines.ts). Blocks of 10
// calls alternate between the ways, so slow spells of the machine fall on all of them alike.
//
//   npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/limits/command-timer.js [rounds]

const ROUNDS = Number(process.argv[2] ?? 9);
const CALLS = 2_000;
const KEYS = 1_000;
const server = await startBenchRedis();
const port = server.port;
const plain = new Redis({ port, host: '127.0.0.1' });
const timed = new Redis({ port, host: '127.0.0.1', commandTimeout: 5_000 });
const nodeRedis = createNodeRedis5Client({ url: `redis://127.0.0.1:${port}` });
await nodeRedis.connect();
const keys = Array.from({ length: KEYS }, (_, i) => `timer:${sampleKey(i)}`);
for (const [i, key] of keys.entries()) await plain.set(key, JSON.stringify(sampleValue(i)));
const key = (i: number): string => keys[i % KEYS] as string;

const ways: Record<string, (i: number) => Promise<unknown>> = {
  'ioredis GET': (i) => plain.get(key(i)),
  'ioredis GET, commandTimeout 5 s': (i) => timed.get(key(i)),
  'ioredis GET, setTimeout/clearTimeout around it': async (i) => {
    const timer = setTimeout(() => undefined, 5_000);
    try {
      return await plain.get(key(i));
    } finally {
      clearTimeout(timer);
    }
  },
  'node-redis 5 GET': (i) => nodeRedis.get(key(i)),
};
const names = Object.keys(ways);
const cpu: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const rates = await alternatingSequentialRounds(names, ROUNDS, CALLS, 10, (name, i) => {
  const before = process.cpuUsage();
  return (ways[name] as (i: number) => Promise<unknown>)(i).then((value) => {
    const spent = process.cpuUsage(before);
    (cpu[name] as number[]).push(spent.user + spent.system);
    return value;
  });
});
const base = rates['ioredis GET'] as number[];
const lines = [
  `One GET awaited at a time, ${CALLS} calls per way per round in blocks of 10 going round the ways, ${ROUNDS} rounds; Redis ${server.version}.`,
  '',
  '| way | µs per call (median round) | time against ioredis GET (paired) | process CPU µs per call (median call) |',
  '| --- | --- | --- | --- |',
];
for (const name of names) {
  const perRound = rates[name] as number[];
  const paired = median(perRound.map((rate, r) => (base[r] as number) / rate));
  lines.push(
    `| ${name} | ${(1e6 / median(perRound)).toFixed(1)} | ${paired.toFixed(3)}x | ${median(cpu[name] as number[]).toFixed(1)} |`,
  );
}
console.log(lines.join('\n'));
await plain.quit();
await timed.quit();
await nodeRedis.close();
await server.stop();
