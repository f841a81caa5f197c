import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createClient as createNodeRedis5Client } from '@redis/client';
import { Redis } from 'ioredis';
import { createStore } from '../../lib/index.js';
import {
  EncodedScript,
  encodeCommand,
  sendTransaction,
} from '../../lib/redis/scripts/encoded-commands.js';
import { KeyLayout } from '../../lib/redis/index/key-layout.js';
import { SCRIPTS } from '../../lib/redis/scripts/lua-scripts.js';
import { startBenchRedis } from '../support/bench-redis.js';
import { sampleKey, sampleValue } from '../support/fixtures.js';
import { interleavedRounds, median } from '../support/measure.js';

// Why a Redis put awaited one at a time cannot reach 0.9x a plain SET: microseconds per call of
// every way to write one key, and the server's time per call of each way (INFO commandstats,
// reset before each way's round), measured in one process in rounds that go round them, against
// the benchmark's own redis-server. bench/notes/investigations.md quotes its output.
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

/** One request at a time over a raw socket: RESP out, wait for the replies, no client library. */
class BareConnection {
  private pending: (() => void) | undefined;
  private buffer = '';
  private lines = 0;
  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      // Every reply measured here is simple: +OK, +QUEUED, :1, or EXEC's *2 of +OK and :n.
      if (this.buffer.split('\r\n').length - 1 >= this.lines) {
        if (/^-|\r\n-/.test(this.buffer)) throw new Error(`Redis replied ${this.buffer.trim()}`);
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

  /** Writes `commands` in one write; resolves once `lines` reply lines arrived. */
  send(lines: number, ...commands: string[][]): Promise<void> {
    let frame = '';
    for (const args of commands) {
      frame += `*${args.length}\r\n`;
      for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    }
    return new Promise((resolve) => {
      this.lines = lines;
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
const nodeRedis = createNodeRedis5Client({ url: `redis://127.0.0.1:${port}` });
await nodeRedis.connect();
const bare = await BareConnection.open();
const store = createStore({ type: 'redis', host: '127.0.0.1', port, keyPrefix: 'lim-store:' });
await store.ping();
const objects = Array.from({ length: KEYS }, (_, i) => sampleValue(i));
/** The index of the bare-socket transactions: any name does for the server's work. */
const bareIndex = 'lim-bare-t-index';
const encodedPut = new EncodedScript(SCRIPTS.kvPut.lua);

const ways: Record<string, (i: number) => Promise<unknown>> = {
  'node-redis 5 SET': (i) =>
    nodeRedis.set(`lim-nr:${sampleKey(i % KEYS)}`, values[i % KEYS] as string),
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
    bare.send(1, ['SET', `lim-bare:${sampleKey(i % KEYS)}`, values[i % KEYS] as string]),
  'bare socket put script (EVALSHA)': (i) => {
    const key = sampleKey(i % KEYS);
    const value = values[i % KEYS] as string;
    return bare.send(1, ['EVALSHA', putSha, '2', `lim-bare-s:${key}`, bareIndex, key, value, '0']);
  },
  'bare socket MULTI / SET / ZADD / EXEC (one write)': (i) => {
    const key = sampleKey(i % KEYS);
    return bare.send(
      6,
      ['MULTI'],
      ['SET', `lim-bare-t:${key}`, values[i % KEYS] as string],
      ['ZADD', bareIndex, '0', key],
      ['EXEC'],
    );
  },
  // What the store sends, carried by ioredis: the script for a lone put, and the transaction it
  // sends for several (here with one key).
  'ioredis carrying the store-encoded put script (EVALSHA)': (i) => {
    const key = sampleKey(i % KEYS);
    return encodedPut.call(
      client,
      [`lim-enc-s:${key}`, indexKey],
      [key, values[i % KEYS] as string, 0],
    );
  },
  'ioredis carrying a store-encoded MULTI / SET / ZADD / EXEC (one write)': (i) => {
    const key = sampleKey(i % KEYS);
    return sendTransaction(client, [
      ['set', encodeCommand('SET', [`lim-enc-t:${key}`, values[i % KEYS] as string])],
      ['zadd', encodeCommand('ZADD', [bareIndex, 0, key])],
    ]);
  },
  'kv-store put': (i) => store.put(sampleKey(i % KEYS), objects[i % KEYS]),
};

/** Server time of every command since the last reset, in µs (INFO commandstats). */
async function serverUs(): Promise<number> {
  const stats = await client.info('commandstats');
  let usec = 0;
  for (const m of stats.matchAll(/^cmdstat_(\w+)\S*:calls=\d+,usec=(\d+)/gm)) {
    if (m[1] !== 'info' && m[1] !== 'config') usec += Number(m[2]);
  }
  return usec;
}

const rounds = await interleavedRounds(Object.keys(ways), ROUNDS, async (name) => {
  const call = ways[name] as (i: number) => Promise<unknown>;
  await client.config('RESETSTAT');
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await call(i);
  const us = Number(process.hrtime.bigint() - started) / 1e3 / CALLS;
  return { us, server: (await serverUs()) / CALLS };
});
const perCall = rounds.us as Record<string, number[]>;
const serverPerCall = rounds.server as Record<string, number[]>;

const fastest = (r: number): number =>
  Math.min(
    (perCall['node-redis 5 SET'] as number[])[r] as number,
    (perCall['ioredis SET'] as number[])[r] as number,
  );
const lines = [
  `One awaited put at a time, ${CALLS} calls per round, ${ROUNDS} rounds going round the ways to write; Redis ${server.version}.`,
  '',
  '| way to write one key | µs per call (median round) | vs the faster client SET (paired) | server µs per call |',
  '| --- | --- | --- | --- |',
];
for (const [name, values_] of Object.entries(perCall)) {
  const paired = median(values_.map((us, r) => fastest(r) / us));
  const serverUs_ = median(serverPerCall[name] as number[]);
  lines.push(
    `| ${name} | ${median(values_).toFixed(1)} | ${paired.toFixed(2)}x | ${serverUs_.toFixed(2)} |`,
  );
}
lines.push(
  '',
  '"The faster client SET" is, per round, the faster of node-redis 5 and ioredis; server µs per call is the INFO commandstats time of every command the way sent (reset before each round), per call.',
);
console.log(lines.join('\n'));
bare.close();
await client.quit();
await nodeRedis.close();
await store.close();
await server.stop();
