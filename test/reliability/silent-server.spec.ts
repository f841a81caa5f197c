import { KvStoreError, RedisStore } from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { killHard } from '../support/redis-faults.js';
import { Redis } from 'ioredis';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

/** Words of ioredis internals that must never reach a user of the store. */
const IOREDIS_INTERNALS =
  /maxRetriesPerRequest|max retries|Connection is closed|Stream isn't writeable|enableOfflineQueue|ioredis/i;

const TIMEOUT_SECONDS = 2;
/** Slack for a loaded 2-core machine: process scheduling, not a second timeout. */
const MARGIN_MS = 1200;

const servers: RedisProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    try {
      process.kill(server.pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
    await server.stop();
  }
});

function open(server: RedisProcess): RedisStore {
  return new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('silent'),
    timeout: TIMEOUT_SECONDS,
    sweepInterval: 0.05,
  });
}

function settle(operation: Promise<unknown>): Promise<unknown> {
  return operation.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a server that stops answering (paused with SIGSTOP)', () => {
  it('close() returns within the timeout even with commands, a stats walk and a sweep in flight', async () => {
    const server = await startRedis();
    servers.push(server);
    const store = open(server);
    await store.putMany(Array.from({ length: 3000 }, (_, i) => [`k:${i}`, i] as const));
    process.kill(server.pid, 'SIGSTOP');
    const inFlight = [
      settle(store.put('a', 1)),
      settle(store.getStats()),
      settle(store.rangeGet('k:')),
      settle(store.putMany([['b', 2]])),
      settle(store.sweepIndex()),
    ];
    // Let every command reach the socket, and the background sweep start.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const started = Date.now();
    await store.close();
    const elapsed = Date.now() - started;
    process.stdout.write(
      `close() against a paused server, timeout ${TIMEOUT_SECONDS} s: ${elapsed} ms\n`,
    );

    expect(elapsed).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
    const errors = await Promise.all(inFlight);
    for (const error of errors) {
      expect(error).toBeInstanceOf(KvStoreError);
      expect((error as Error).message).not.toMatch(IOREDIS_INTERNALS);
    }
  });

  it('close() with nothing in flight returns within the timeout', async () => {
    const server = await startRedis();
    servers.push(server);
    const store = open(server);
    await store.put('k', 1);
    process.kill(server.pid, 'SIGSTOP');
    const started = Date.now();
    await store.close();
    expect(Date.now() - started).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
  });
});

describe('a server killed while writes are in flight', () => {
  /** Every way a kill can meet the store's calls: before they are written, during, after. */
  const timings: Array<
    [string, (server: RedisProcess, issue: () => void, proxy: FaultProxy) => Promise<void>]
  > = [
    [
      'calls issued in the same tick as the kill',
      async (server, issue) => {
        process.kill(server.pid, 'SIGKILL');
        issue();
      },
    ],
    [
      'calls in flight when it is killed',
      async (server, issue, proxy) => {
        // The calls reach the server, but its replies are held until it is dead: on a loaded
        // machine the test process could otherwise be descheduled between sending and killing,
        // and the server answer everything first.
        for (const connection of proxy.connections) connection.hold('toClient', 60_000);
        issue();
        await killHard(server);
      },
    ],
    [
      'calls waiting in a paused server when it is killed',
      async (server, issue) => {
        process.kill(server.pid, 'SIGSTOP');
        issue();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await killHard(server);
      },
    ],
    [
      'calls issued once the client saw the connection drop',
      async (server, issue) => {
        await killHard(server);
        await new Promise((resolve) => setTimeout(resolve, 20));
        issue();
      },
    ],
  ];

  it('a range walk the server is running when it is killed rejects with a ConnectionError naming the server', async () => {
    const server = await startRedis();
    servers.push(server);
    const prefix = uniquePrefix('walk');
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      keyPrefix: prefix,
      timeout: 30,
    });
    // 400,000 indexed keys, written server-side: the range script then runs for a while after
    // reading its (small) command, so the kill closes the connection cleanly, with no error.
    const index = Buffer.concat([
      Buffer.from(prefix),
      Buffer.from([0xff]),
      Buffer.from('kv-index'),
    ]);
    const admin = new Redis({ host: LOOPBACK, port: server.port });
    await admin.eval(
      "for i = 1, 400000 do redis.call('SET', ARGV[1] .. 'k' .. i, '1'); redis.call('ZADD', KEYS[1], 0, 'k' .. i) end",
      1,
      index,
      prefix,
    );
    await admin.quit();
    await store.ping();
    const walking = settle(store.rangeGet(''));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await killHard(server);
    const error = await walking;
    await store.close();
    expect(error).toBeInstanceOf(KvStoreError);
    expect((error as KvStoreError).code).toBe('CONNECTION');
    expect((error as Error).message).toContain(`${LOOPBACK}:${server.port}`);
    expect((error as Error).message).not.toMatch(IOREDIS_INTERNALS);
  });

  it.each(timings)(
    '%s: putMany, put and get reject with a connection error in the library’s words',
    async (_timing, kill) => {
      const server = await startRedis();
      servers.push(server);
      const proxy = await FaultProxy.start(server.port);
      const store = open({ ...server, port: proxy.port });
      await store.put('warm', 1);
      const entries = Array.from({ length: 5000 }, (_, i) => [`bulk:${i}`, { i }] as const);
      let calls: Array<Promise<unknown>> = [];
      await kill(
        server,
        () => {
          calls = [
            settle(store.putMany(entries)),
            settle(store.putMany(entries.slice(0, 100))),
            settle(store.put('single', 1)),
            settle(store.get('warm')),
            settle(store.rangeGet('bulk:')),
          ];
        },
        proxy,
      );
      const outcomes = await Promise.all(calls);
      await store.close();
      await proxy.close();
      // A small call can be answered before the kill lands (writes got faster): it succeeded,
      // which is fine. The 5,000-entry putMany cannot be, and every call that failed must fail
      // in the library's words.
      const errors = outcomes.filter((outcome) => outcome !== undefined);
      expect(outcomes[0]).toBeDefined();
      for (const error of errors) {
        expect(error).toBeInstanceOf(KvStoreError);
        expect(['CONNECTION', 'TIMEOUT']).toContain((error as KvStoreError).code);
        expect((error as Error).message).toContain(`${LOOPBACK}:${proxy.port}`);
        expect((error as Error).message).not.toMatch(IOREDIS_INTERNALS);
      }
    },
  );
});
