import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createStore } from '../../lib/index.js';
import { KeyLayout } from '../../lib/redis/key-layout.js';
import { SCRIPTS } from '../../lib/redis/lua-scripts.js';
import { startBenchRedis } from '../support/bench-redis.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// Why a Redis put awaited one at a time cannot reach 0.9x a plain SET: microseconds per call of
// every way to write one key, measured in one process in rounds that go round them, against the
// benchmark's own redis-server. docs/benchmarks.md quotes its output.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/limits/redis-put-latency.js

const CALLS = 1_000;
const ROUNDS = 9;
const KEYS = 1_000;
const server = await startBenchRedis();
const port = server.port;
const values = Array.from({ length: KEYS }, (_, i) => JSON.stringify(sampleValue(i)));
const { dataPrefix, indexKey } = KeyLayout.single('lim:').shardFor('');
const putSha = createHash('sha1').update(SCRIPTS.kvPut.lua).digest('hex');

/** One request at a time over a raw socket: RESP out, wait for one whole reply, no client library. */
class BareConnection {
  private pending: (() => void) | undefined;
  private buffer = '';
  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      // Every reply measured here is one line: +OK, :1 or an error.
      if (this.buffer.endsWith('\r\n')) {
        if (this.buffer.startsWith('-')) throw new Error(`Redis replied ${this.buffer.trim()}`);
        this.buffer = '';
        this.pending?.();
      }
    });
  }

  static open(): Promise<BareConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new BareConnection(socket)));
      socket.once('error', reject);
    });
  }

  call(...args: string[]): Promise<void> {
    let frame = `*${args.length}\r\n`;
    for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const client = new Redis({ port, host: '127.0.0.1' });
client.defineCommand('kvPut', SCRIPTS.kvPut);
const kvPut = (...args: unknown[]): Promise<unknown> =>
  (client as unknown as { kvPut(...a: unknown[]): Promise<unknown> }).kvPut(...args);
await client.script('LOAD', SCRIPTS.kvPut.lua);
const bare = await BareConnection.open();
const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: 'lim-store:' });
await store.ping();
const objects = Array.from({ length: KEYS }, (_, i) => sampleValue(i));

const ways: Record<string, (i: number) => Promise<unknown>> = {
  'ioredis SET': (i) => client.set(`lim-set:${sampleKey(i % KEYS)}`, values[i % KEYS] as string),
  'ioredis put script (EVALSHA: SET + ZADD)': (i) => {
    const key = sampleKey(i % KEYS);
    return kvPut(dataPrefix + key, indexKey, key, values[i % KEYS], 0);
  },
  'ioredis MULTI / SET / ZADD / EXEC': (i) => {
    const key = sampleKey(i % KEYS);
    return client
      .multi()
      .set(`lim-multi:${key}`, values[i % KEYS] as string)
      .zadd('lim-multi-index', 0, key)
      .exec();
  },
  'ioredis pipelined SET + ZADD (not atomic)': (i) => {
    const key = sampleKey(i % KEYS);
    return client
      .pipeline()
      .set(`lim-pipe:${key}`, values[i % KEYS] as string)
      .zadd('lim-pipe-index', 0, key)
      .exec();
  },
  'bare socket SET': (i) =>
    bare.call('SET', `lim-bare:${sampleKey(i % KEYS)}`, values[i % KEYS] as string),
  'bare socket put script (EVALSHA)': (i) => {
    const key = sampleKey(i % KEYS);
    return bare.call(
      'EVALSHA',
      putSha,
      '2',
      `lim-bare-s:${key}`,
      'lim-bare-s-index',
      key,
      values[i % KEYS] as string,
      '0',
    );
  },
  'kv-store put': (i) => store.put(sampleKey(i % KEYS), objects[i % KEYS]),
};

const rounds = await interleavedRounds(Object.keys(ways), ROUNDS, async (name) => {
  const call = ways[name] as (i: number) => Promise<unknown>;
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call(i);
  return { us: Number(process.hrtime.bigint() - started) / 1e3 / CALLS };
});
const perCall = rounds.us as Record<string, number[]>;
const stats = await client.info('commandstats');
const serverUs = (command: string): string =>
  new RegExp(`cmdstat_${command}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(stats)?.[1] ??
  '?';

const set = perCall['ioredis SET'] as number[];
const lines = [
  `One awaited put at a time, ${CALLS} calls per round, ${ROUNDS} rounds going round the ways to write; Redis ${server.version}.`,
  '',
  '| way to write one key | µs per call (median round) | vs ioredis SET (paired) |',
  '| --- | --- | --- |',
];
for (const [name, values_] of Object.entries(perCall)) {
  const paired = median(values_.map((us, r) => (set[r] as number) / us));
  lines.push(`| ${name} | ${median(values_).toFixed(1)} | ${paired.toFixed(2)}x |`);
}
lines.push(
  '',
  `Server time per call (INFO commandstats): SET ${serverUs('set')} µs, EVALSHA ${serverUs('evalsha')} µs, ZADD ${serverUs('zadd')} µs, EXEC ${serverUs('exec')} µs.`,
);
console.log(lines.join('\n'));
bare.close();
await client.quit();
await store.close();
await server.stop();
