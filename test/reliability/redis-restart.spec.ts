import { ConnectionError, RedisStore, TimeoutError } from '../../lib/index.js';
import {
  DURABLE_ARGS,
  elapsedMs,
  killHard,
  outcomeOf,
  restartRedis,
  timeUntilWorks,
  watchUnhandledRejections,
} from '../support/redis-faults.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';

const OPERATIONS = 10_000;
const WORKERS = 32;
const TIMEOUT_SECONDS = 1;
/** Each call must settle within the store's timeout; the margin absorbs scheduling on a loaded machine. */
const SETTLE_BOUND_MS = TIMEOUT_SECONDS * 1000 + 1000;
const KILL_AFTER = 3000;
const DOWN_FOR_MS = 300;
/**
 * The Guarantees page's bound on reconnection: the store retries at least once per `timeout`, so
 * calls work again within `timeout` of the server being back, plus scheduling margin.
 */
const RECONNECT_BOUND_MS = TIMEOUT_SECONDS * 1000 + 2000;

describe('Redis killed with SIGKILL and restarted during 10k mixed operations (appendfsync always)', () => {
  let first: RedisProcess | undefined;
  let second: RedisProcess | undefined;

  beforeAll(async () => {
    first = await startRedis({ args: [...DURABLE_ARGS] });
  });

  afterAll(async () => {
    // The restarted server uses the first one's directory: stop it first.
    await second?.stop();
    await first?.stop();
  });

  it('never crashes, fails calls only with ConnectionError/TimeoutError within the timeout, keeps every acknowledged write, and the same store works again', async () => {
    const server = first as RedisProcess;
    const watch = watchUnhandledRejections();
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      keyPrefix: uniquePrefix('restart'),
      timeout: TIMEOUT_SECONDS,
    });
    const acknowledgedPuts = new Map<string, number>();
    const deleteTried = new Set<string>();
    const deleteAcknowledged = new Set<string>();
    let incrementsTried = 0;
    let incrementsAcknowledged = 0;
    const outcomes = new Map<string, number>();
    const violations: string[] = [];
    let slowestMs = 0;
    let started = 0;
    let completed = 0;
    let killedAt = 0;
    let restartedAt = 0;
    let succeededAfterRestart = 0;
    let firstSuccessAfterRestart = 0;

    const operation = async (i: number): Promise<void> => {
      switch (i % 6) {
        case 0: {
          await store.put(`w:${i}`, i);
          acknowledgedPuts.set(`w:${i}`, i);
          return;
        }
        case 1: {
          const key = `w:${i - 7}`;
          const wasAcknowledged = acknowledgedPuts.has(key) && !deleteTried.has(key);
          const value = await store.get<number>(key);
          if (value !== undefined && value !== i - 7) violations.push(`${key} read ${value}`);
          if (wasAcknowledged && value === undefined) violations.push(`${key} read nothing`);
          return;
        }
        case 2: {
          incrementsTried++;
          await store.increment('counter');
          incrementsAcknowledged++;
          return;
        }
        case 3: {
          const stored = await store.putIfAbsent(`p:${i}`, { i });
          if (!stored) violations.push(`putIfAbsent p:${i} found a value`);
          acknowledgedPuts.set(`p:${i}`, i);
          return;
        }
        case 4: {
          // Half of the written keys are deleted again, half must survive.
          const key = `w:${i - 4}`;
          if ((i - 4) % 12 !== 0) {
            await store.ttl(key);
            return;
          }
          deleteTried.add(key);
          await store.delete(key);
          deleteAcknowledged.add(key);
          return;
        }
        default: {
          await store.rangeGet('p:', undefined, { limit: 5 });
        }
      }
    };

    const worker = async (): Promise<void> => {
      while (started < OPERATIONS) {
        const i = started++;
        const t0 = performance.now();
        let outcome = 'ok';
        try {
          await operation(i);
          if (restartedAt > 0 && t0 >= restartedAt) {
            succeededAfterRestart++;
            if (firstSuccessAfterRestart === 0) firstSuccessAfterRestart = performance.now();
          }
        } catch (error) {
          outcome = outcomeOf(error);
          if (!(error instanceof ConnectionError || error instanceof TimeoutError)) {
            violations.push(`operation ${i} failed with ${outcome}`);
          }
        }
        const took = performance.now() - t0;
        slowestMs = Math.max(slowestMs, took);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        completed++;
        // A failed call is retried by nobody; pause so that the outage does not use up the budget.
        if (outcome !== 'ok') await sleep(10);
      }
    };

    const chaos = async (): Promise<void> => {
      while (completed < KILL_AFTER) await sleep(5);
      killedAt = performance.now();
      await killHard(server);
      await sleep(DOWN_FOR_MS);
      second = await restartRedis(server, DURABLE_ARGS);
      restartedAt = performance.now();
    };

    try {
      await Promise.all([chaos(), ...Array.from({ length: WORKERS }, worker)]);
      await store.put('after-restart', true);
      console.log(
        `SIGKILL + restart under load: ${OPERATIONS} operations, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, ` +
          `slowest call ${Math.round(slowestMs)} ms; server back ${Math.round(restartedAt - killedAt)} ms after the kill, ` +
          `first call succeeding ${Math.round(firstSuccessAfterRestart - restartedAt)} ms after the restart ` +
          `(${Math.round(firstSuccessAfterRestart - killedAt)} ms after the kill); ${succeededAfterRestart} calls succeeded after it`,
      );

      expect(violations).toEqual([]);
      expect(watch.rejections).toEqual([]);
      expect(slowestMs).toBeLessThan(SETTLE_BOUND_MS);
      expect(outcomes.get('ok')).toBeGreaterThan(KILL_AFTER);
      expect((outcomes.get('CONNECTION') ?? 0) + (outcomes.get('TIMEOUT') ?? 0)).toBeGreaterThan(0);
      expect(succeededAfterRestart).toBeGreaterThan(0);
      expect(firstSuccessAfterRestart - restartedAt).toBeLessThan(RECONNECT_BOUND_MS);

      // Every acknowledged write reads back from the restarted server, through the same store.
      const keys = [...acknowledgedPuts.keys()];
      const values = await store.getMany<number | { i: number }>(keys);
      const lost: string[] = [];
      keys.forEach((key, n) => {
        const expected = acknowledgedPuts.get(key) as number;
        const value = values[n];
        const readBack = typeof value === 'object' ? value.i : value;
        if (deleteAcknowledged.has(key)) {
          if (value !== undefined) lost.push(`${key} was deleted but reads ${readBack}`);
        } else if (!deleteTried.has(key) && readBack !== expected) {
          lost.push(`${key} expected ${expected}, read ${readBack}`);
        } else if (value !== undefined && readBack !== expected) {
          lost.push(`${key} expected ${expected} or nothing, read ${readBack}`);
        }
      });
      expect(lost).toEqual([]);
      // Not vacuous: thousands of acknowledged writes were checked, most of them untouched since.
      expect(keys.filter((key) => !deleteTried.has(key)).length).toBeGreaterThan(2000);
      expect(deleteAcknowledged.size).toBeGreaterThan(100);
      const counter = await store.get<number>('counter');
      expect(counter).toBeGreaterThanOrEqual(incrementsAcknowledged);
      expect(counter).toBeLessThanOrEqual(incrementsTried);
      expect(await store.get('after-restart')).toBe(true);
      expect(await store.clear()).toBeGreaterThan(1000);
    } finally {
      await store.close();
      watch.stop();
    }
  }, 60_000);

  it('reports how long an idle store takes to work again after a restart', async () => {
    const server = await startRedis({ args: [...DURABLE_ARGS] });
    let restarted: RedisProcess | undefined;
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      keyPrefix: uniquePrefix('restart-idle'),
      timeout: TIMEOUT_SECONDS,
    });
    try {
      await store.put('before', 1);
      const killed = performance.now();
      await killHard(server);
      await expect(store.get('before')).rejects.toBeInstanceOf(ConnectionError);
      restarted = await restartRedis(server, DURABLE_ARGS);
      const restartedMs = elapsedMs(killed);
      const recoveryMs = await timeUntilWorks(
        () => store.get('before'),
        10_000,
        'the store to reconnect',
      );
      console.log(
        `SIGKILL + restart, idle store: server back ${restartedMs} ms after the kill, store reads again ${recoveryMs} ms later`,
      );
      expect(recoveryMs).toBeLessThan(RECONNECT_BOUND_MS);
      expect(await store.get('before')).toBe(1);
      await store.clear();
    } finally {
      await store.close();
      await restarted?.stop();
      await server.stop();
    }
  }, 30_000);
});
