import { inspect } from 'node:util';
import {
  ConnectionError,
  RedisStore,
  StoreClosedError,
  TimeoutError,
  type RedisStoreOptions,
} from '../../lib/index.js';
import {
  LOOPBACK,
  freePort,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';
import { trackTimers } from '../support/timer-tracker.js';

/** Where the timers of a store come from: the library and its Redis client. */
const STORE_CODE = ['/lib/', 'node_modules/ioredis'];

/** TCP sockets this process has open. */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
}

const SECRET = 'pw-never-shown-42';
/**
 * "Within timeout" as a loaded 2-core machine can check it: the store's timeout plus 2 s for
 * scheduling. A call that hung would wait for ever (or for Jest's 30 s), far beyond this.
 */
const MARGIN_MS = 2000;

/** Resolves the error a promise rejects with, or fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('Redis connections', () => {
  const stores: RedisStore[] = [];
  const servers: RedisProcess[] = [];
  function open(port: number, options: RedisStoreOptions = {}): RedisStore {
    const store = new RedisStore({
      host: LOOPBACK,
      port,
      keyPrefix: uniquePrefix('conn'),
      timeout: 1,
      ...options,
    });
    stores.push(store);
    return store;
  }
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('an unreachable server fails within timeout with a ConnectionError naming host:port, never the password', async () => {
    const port = await freePort();
    const store = open(port, { password: SECRET });
    const started = Date.now();
    const error = await rejectionOf(store.get('k'));
    expect(Date.now() - started).toBeLessThan(1000 + MARGIN_MS);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`${LOOPBACK}:${port}`);
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
    const connectError = await rejectionOf(store.connect());
    expect(connectError).toBeInstanceOf(ConnectionError);
    expect(connectError.message).toContain(`${LOOPBACK}:${port}`);
    await expect(store.ping()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('an unreachable cluster or Sentinel fails within timeout with a ConnectionError naming the nodes', async () => {
    const port = await freePort();
    const cluster = new RedisStore({
      cluster: { nodes: [{ host: LOOPBACK, port }] },
      timeout: 1,
      password: SECRET,
    });
    const sentinel = new RedisStore({
      sentinels: [{ host: LOOPBACK, port }],
      name: 'nowhere',
      timeout: 1,
      password: SECRET,
    });
    stores.push(cluster, sentinel);
    const started = Date.now();
    const errors = await Promise.all([
      rejectionOf(cluster.get('k')),
      rejectionOf(sentinel.get('k')),
    ]);
    expect(Date.now() - started).toBeLessThan(1000 + MARGIN_MS);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain(`${LOOPBACK}:${port}`);
      expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
    }
  });

  it('connect() resolves once the server answers, and ping() answers within timeout', async () => {
    const server = await startRedis();
    servers.push(server);
    const store = open(server.port);
    await expect(store.connect()).resolves.toBeUndefined();
    // The server lists the store's connection beside the redis-cli asking.
    const clients = (await redisCli(server.port, 'client', 'list')).trim().split('\n');
    expect(clients.length).toBeGreaterThanOrEqual(2);
    const started = Date.now();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000 + MARGIN_MS);
    // A second connect() on a ready store resolves at once, and the store is in use.
    await expect(store.connect()).resolves.toBeUndefined();
    await store.put('k', 'v');
    expect(await store.get('k')).toBe('v');
    expect(await redisCli(server.port, 'client', 'list')).toMatch(/cmd=(get|evalsha)/);
  });

  it('while the server is down commands reject within timeout; when it is back the same store works again', async () => {
    const server = await startRedis();
    const store = open(server.port);
    await store.put('k', 'before');
    await server.stop();

    const started = Date.now();
    const errors = await Promise.all([
      rejectionOf(store.get('k')),
      rejectionOf(store.put('k', 'during')),
      rejectionOf(store.rangeGet('')),
    ]);
    expect(Date.now() - started).toBeLessThan(1000 + MARGIN_MS);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain(`${LOOPBACK}:${server.port}`);
    }

    const restarted = await startRedis({ port: server.port });
    servers.push(restarted);
    await waitUntil(() => store.ping().then(() => true), 5000, 'the store to reconnect');
    await store.put('k', 'after');
    expect(await store.get('k')).toBe('after');
  });

  it('a connected server that stops answering makes commands fail with TimeoutError within timeout', async () => {
    const server = await startRedis();
    servers.push(server);
    const store = open(server.port, { timeout: 0.5 });
    await store.put('k', 1);
    process.kill(server.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const error = await rejectionOf(store.get('k'));
      expect(Date.now() - started).toBeLessThan(500 + MARGIN_MS);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error.message).toMatch(/did not answer within 0.5 s/);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    expect(await store.get('k')).toBe(1);
  });

  it('each call to a server that stopped answering fails one timeout after it was made, not when an earlier call does', async () => {
    const server = await startRedis();
    servers.push(server);
    const store = open(server.port, { timeout: 0.6 });
    await store.put('k', 1);
    process.kill(server.pid, 'SIGSTOP');
    try {
      const failedAfter = async (call: Promise<unknown>): Promise<number> => {
        const started = Date.now();
        const error = await rejectionOf(call);
        expect(error).toBeInstanceOf(TimeoutError);
        return Date.now() - started;
      };
      const first = failedAfter(store.get('k'));
      await sleep(350);
      const second = failedAfter(store.get('k'));
      for (const elapsed of await Promise.all([first, second])) {
        // Timers never fire early; 20 ms covers Date.now() against the monotonic clock.
        expect(elapsed).toBeGreaterThanOrEqual(580);
        expect(elapsed).toBeLessThan(600 + MARGIN_MS);
      }
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    expect(await store.get('k')).toBe(1);
  });

  it('calls one at a time for longer than the timeout all succeed while the server answers', async () => {
    const server = await startRedis();
    servers.push(server);
    // 0.5 s: no single call on a loaded 2-core machine takes that long; the loop runs three times as long.
    const store = open(server.port, { timeout: 0.5 });
    await store.put('k', 1);
    const until = Date.now() + 1500;
    let calls = 0;
    while (Date.now() < until) {
      await store.get('k');
      await store.put('k', ++calls);
    }
    expect(await store.get('k')).toBe(calls);
    expect(calls).toBeGreaterThan(10);
  });

  it('close() lets in-flight commands finish, then quits', async () => {
    const server = await startRedis();
    servers.push(server);
    const prefix = uniquePrefix('inflight');
    const store = new RedisStore({ host: LOOPBACK, port: server.port, keyPrefix: prefix });
    await store.connect();
    const writes = Array.from({ length: 500 }, (_, i) => store.put(`k:${i}`, i));
    const closing = store.close();
    await expect(Promise.all(writes)).resolves.toHaveLength(500);
    await closing;
    expect(Number((await redisCli(server.port, 'dbsize')).trim())).toBe(501);
    expect(await redisCli(server.port, 'get', `${prefix}k:499`)).toBe('499\n');
  });

  it('close() of a store in the middle of reconnecting leaves nothing running', async () => {
    const server = await startRedis();
    const store = open(server.port);
    await store.ping();
    await server.stop();
    await waitUntil(
      () =>
        store.ping().then(
          () => false,
          () => true,
        ),
      2000,
      'the store to notice',
    );
    await store.close();
    expect(store.isClosed).toBe(true);
  });

  it('a store that never reached its server closes cleanly', async () => {
    const port = await freePort();
    const socketsBefore = openSockets();
    const timers = trackTimers(STORE_CODE);
    const store = open(port);
    const started = Date.now();
    await expect(store.close()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000 + MARGIN_MS);
    expect(store.isClosed).toBe(true);
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreClosedError);
    // Long enough for a reconnection attempt (the first comes after 50 ms) to show up.
    await sleep(300);
    expect(await timers.pending()).toEqual([]);
    timers.stop();
    expect(openSockets()).toBeLessThanOrEqual(socketsBefore);
  });
});
