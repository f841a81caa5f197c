import { RedisStore, StoreClosedError } from '../../lib/index.js';
import { watchUnhandledRejections } from '../support/redis-faults.js';
import {
  freePort,
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';
import { trackTimers } from '../support/timer-tracker.js';

const CYCLES = 1000;
/** Time the event loop gets after the last close() for sockets to finish closing. */
const GRACE_MS = 300;

/** Where the timers of a store come from: the library and its Redis client. */
const STORE_CODE = ['/lib/', 'node_modules/ioredis'];

/**
 * Active handles by type (sockets and the like), and listener counts on `process`. Timers are
 * counted by {@link trackTimers} instead, which leaves out Jest's own.
 */
function snapshot(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of process.getActiveResourcesInfo()) {
    if (resource === 'Timeout') continue;
    counts[resource] = (counts[resource] ?? 0) + 1;
  }
  for (const event of process.eventNames()) {
    counts[`process listeners: ${String(event)}`] = process.listenerCount(event);
  }
  return counts;
}

/** What `after` holds beyond `before`. */
function leftBehind(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const more = count - (before[name] ?? 0);
    if (more > 0) extra[name] = more;
  }
  return extra;
}

let server: RedisProcess;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server?.stop();
});

/** Lines of CLIENT LIST; the redis-cli asking is always one of them. */
async function clientList(): Promise<string[]> {
  return (await redisCli(server.port, 'client', 'list'))
    .split('\n')
    .filter((line) => line.trim() !== '');
}

describe(`${CYCLES} create/close cycles of Redis stores`, () => {
  it('leave no sockets, timers or listeners behind, and the server lists no connection of theirs', async () => {
    const watch = watchUnhandledRejections();
    const prefix = uniquePrefix('cycles');
    await sleep(GRACE_MS);
    const timers = trackTimers(STORE_CODE);
    const before = snapshot();
    const outcomes: string[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const store = new RedisStore({
        host: LOOPBACK,
        port: server.port,
        keyPrefix: prefix,
        // Generous: this test counts what close() leaves behind, and a connection on a loaded
        // machine can take longer than 1 s.
        timeout: 5,
      });
      switch (i % 3) {
        case 0: {
          // Used, then closed.
          await store.put(`k${i % 10}`, i);
          await store.get(`k${i % 10}`);
          await store.close();
          break;
        }
        case 1: {
          // Closed before it ever connected.
          await store.close();
          break;
        }
        default: {
          // Closed with a call in flight: the call settles, never hangs.
          await store.ping();
          const inFlight = store.get('k0').then(
            () => 'answered',
            (error: unknown) => (error instanceof StoreClosedError ? 'closed' : String(error)),
          );
          await store.close();
          outcomes.push(await inFlight);
        }
      }
    }
    await sleep(GRACE_MS);
    expect(leftBehind(before, snapshot())).toEqual({});
    expect(await timers.pending()).toEqual([]);
    timers.stop();
    expect(outcomes.every((outcome) => outcome === 'answered' || outcome === 'closed')).toBe(true);
    await waitUntil(
      async () => (await clientList()).length === 1,
      5000,
      'the server to list only our redis-cli',
    );
    const [only] = await clientList();
    expect(only).toContain('cmd=client');
    expect(watch.rejections).toEqual([]);
    watch.stop();
    await redisCli(server.port, 'del', ...Array.from({ length: 10 }, (_, i) => `${prefix}k${i}`));
  }, 180_000);

  it('against an unreachable server, leave no sockets, timers or listeners behind either', async () => {
    const watch = watchUnhandledRejections();
    const deadPort = await freePort();
    await sleep(GRACE_MS);
    const timers = trackTimers(STORE_CODE);
    const before = snapshot();
    for (let i = 0; i < CYCLES; i++) {
      const store = new RedisStore({ host: LOOPBACK, port: deadPort, timeout: 1 });
      if (i % 2 === 0) await store.ping().catch(() => undefined);
      await store.close();
    }
    await sleep(GRACE_MS);
    expect(leftBehind(before, snapshot())).toEqual({});
    expect(await timers.pending()).toEqual([]);
    timers.stop();
    expect(watch.rejections).toEqual([]);
    watch.stop();
  }, 120_000);
});
