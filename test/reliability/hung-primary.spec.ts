import { Redis } from 'ioredis';
import { RedisStore } from '../../lib/index.js';
import { outcomeOf, roleOf, watchUnhandledRejections } from '../support/redis-faults.js';
import {
  LOOPBACK,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type SentinelSetup,
  setDownAfter,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';
import { STALENESS_WINDOW_MS } from '../redis/near-cache/support/near-cache-helpers.js';

/**
 * A primary that stops answering without closing its connections (SIGSTOP: a long GC pause, a
 * frozen VM) while Sentinel promotes its replica, then resumes still believing it is the primary
 * until Sentinel demotes it. A store that kept writing to it would have those writes acknowledged
 * and then thrown away.
 */
const DOWN_AFTER_MS = 1000;
/** The bound: the store writes to the new primary within 1 s of the announcement. */
const FOLLOW_BOUND_MS = 1000;
/** How long the old primary stays paused after the announcement at most (it resumes earlier once the store has written to the new one). */
const PAUSE_AFTER_ANNOUNCEMENT_MS = 3000;
/** How long the writers go on once the old primary has resumed. */
const AFTER_RESUME_MS = 2000;

let setup: SentinelSetup;
let stopped = false;

beforeAll(async () => {
  setup = await startSentinelSetup('kvhung');
  await setDownAfter(setup, DOWN_AFTER_MS);
}, 30_000);

afterEach(() => {
  if (stopped) process.kill(setup.primary.pid, 'SIGCONT');
  stopped = false;
});

afterAll(async () => {
  await setup?.stop();
});

interface Ack {
  value: number;
  at: number;
}

describe('Redis Sentinel: the primary paused (SIGSTOP) past its failover, then resumed', () => {
  it('writes reach the promoted replica within 1 s of +switch-master, none acknowledged after it is lost, and reads are not stale', async () => {
    const watch = watchUnhandledRejections();
    const prefix = uniquePrefix('hung-primary');
    const options = {
      sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
      sentinelName: setup.name,
      keyPrefix: prefix,
      timeout: 1,
    };
    const store = new RedisStore(options);
    const near = new RedisStore({ ...options, nearCache: { maxEntries: 1000 } });
    let later: RedisStore | undefined;
    const listener = new Redis({ host: LOOPBACK, port: setup.sentinel.port, lazyConnect: true });
    const newPrimary = new Redis({ host: LOOPBACK, port: setup.replica.port, lazyConnect: true });
    let running = true;
    const acks: Ack[] = [];
    const failures = new Map<string, number>();
    const laterAcks: Ack[] = [];
    const staleReads: string[] = [];
    const staleNearReads: string[] = [];
    let readsAfter = 0;
    try {
      await store.connect();
      await near.connect();
      await listener.connect();
      await newPrimary.connect();
      let announcedAt = Number.POSITIVE_INFINITY;
      const announced = new Promise<void>((resolve) => {
        listener.on('message', (channel: string) => {
          if (channel !== '+switch-master') return;
          announcedAt = performance.now();
          resolve();
        });
      });
      await listener.subscribe('+switch-master');

      let next = 0;
      const writer = async (): Promise<void> => {
        while (running) {
          const value = next++;
          try {
            await store.put(`w:${value}`, value);
            acks.push({ value, at: performance.now() });
          } catch (error) {
            const code = outcomeOf(error);
            failures.set(code, (failures.get(code) ?? 0) + 1);
            await sleep(10);
          }
        }
      };
      // Reads of a key that only a store created after the promotion writes: once a value is
      // acknowledged, the store without a near cache must return it or a later one; the one with
      // a near cache may lag by the near cache's staleness bound.
      const reader = async (
        from: RedisStore,
        stale: string[],
        lagLimitMs: number,
      ): Promise<void> => {
        while (running) {
          const startedAt = performance.now();
          try {
            const seen = (await from.get<number>('shared')) ?? -1;
            if (startedAt > announcedAt) readsAfter++;
            const missed = laterAcks.find(({ value, at }) => value > seen && at < startedAt);
            if (missed && startedAt - missed.at > lagLimitMs) {
              stale.push(
                `read at +${Math.round(startedAt - announcedAt)} ms saw ${seen}, ${missed.value} acknowledged ${Math.round(startedAt - missed.at)} ms before`,
              );
            }
          } catch {
            await sleep(10);
          }
          // A read served in process must not starve the event loop.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const loops = [
        writer(),
        writer(),
        reader(store, staleReads, 0),
        reader(near, staleNearReads, STALENESS_WINDOW_MS),
      ];
      await sleep(200);

      process.kill(setup.primary.pid, 'SIGSTOP');
      stopped = true;
      const pausedAt = performance.now();
      await announced;
      const laterStore = new RedisStore(options);
      later = laterStore;
      const laterWriter = (async () => {
        let value = 0;
        while (running) {
          value++;
          try {
            await laterStore.put('shared', value);
            laterAcks.push({ value, at: performance.now() });
          } catch {
            await sleep(10);
          }
        }
      })();
      // The old primary resumes once the first store has written to the new one, or at the latest
      // PAUSE_AFTER_ANNOUNCEMENT_MS after the announcement.
      const firstValueThere = async (): Promise<boolean> => {
        const after = acks.filter(({ at }) => at > announcedAt);
        return after.length > 0 && (await newPrimary.exists(`${prefix}w:${after[0]!.value}`)) === 1;
      };
      await waitUntil(
        firstValueThere,
        PAUSE_AFTER_ANNOUNCEMENT_MS,
        'a write on the new primary',
      ).catch(() => undefined);
      process.kill(setup.primary.pid, 'SIGCONT');
      stopped = false;
      const resumedAt = performance.now();
      await sleep(AFTER_RESUME_MS);
      running = false;
      await Promise.all([...loops, laterWriter]);

      const afterAnnouncement = acks.filter(({ at }) => at > announcedAt);
      const lost: number[] = [];
      for (const { value } of afterAnnouncement) {
        if ((await newPrimary.exists(`${prefix}w:${value}`)) !== 1) lost.push(value);
      }
      const firstAckMs = Math.round(
        (afterAnnouncement[0]?.at ?? Number.POSITIVE_INFINITY) - announcedAt,
      );
      console.log(
        `Sentinel, primary paused: +switch-master ${Math.round(announcedAt - pausedAt)} ms after SIGSTOP, ` +
          `old primary resumed ${Math.round(resumedAt - announcedAt)} ms after it (role then: ${await roleOf(setup.primary.port)}); ` +
          `first write acknowledged ${firstAckMs} ms after the announcement; ` +
          `${lost.length} of ${afterAnnouncement.length} writes acknowledged after it lost; ` +
          `${staleReads.length} reads without and ${staleNearReads.length} with a near cache stale past its bound, of ${readsAfter} after it (${[...staleReads, ...staleNearReads].slice(0, 3).join('; ')}); ` +
          `failures ${JSON.stringify(Object.fromEntries(failures))}`,
      );
      expect(firstAckMs).toBeLessThan(FOLLOW_BOUND_MS);
      expect(lost).toEqual([]);
      expect(staleReads).toEqual([]);
      expect(staleNearReads).toEqual([]);
      expect(readsAfter).toBeGreaterThan(0);
      expect(
        [...failures.keys()].every((code) => code === 'CONNECTION' || code === 'TIMEOUT'),
      ).toBe(true);
      expect(watch.rejections).toEqual([]);
    } finally {
      running = false;
      if (stopped) process.kill(setup.primary.pid, 'SIGCONT');
      stopped = false;
      await store.close();
      await near.close();
      await later?.close();
      listener.disconnect();
      newPrimary.disconnect();
      watch.stop();
    }
  }, 40_000);
});
