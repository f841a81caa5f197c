import { createStore, type KvStore } from '../../lib/index.js';
import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';
import { startInstances, type Instance, type InstanceConfig } from './multi-instance/instances.js';
import { stampede, total } from './multi-instance/run-cold-key.js';

// Several app instances as separate Node processes on one standalone Redis, against dist/.
let redis: RedisProcess;
let running: Instance[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterEach(async () => {
  await Promise.all(running.map((instance) => instance.stop()));
  running = [];
});

afterAll(async () => {
  await redis?.stop();
});

function config(label: string, overrides: Partial<InstanceConfig> = {}): InstanceConfig {
  return {
    store: { type: 'redis', host: LOOPBACK, port: redis.port, keyPrefix: uniquePrefix(label) },
    cached: { ttl: 60 },
    computeMs: 500,
    ...overrides,
  };
}

async function runsOf(store: KvStore, id: string): Promise<number | undefined> {
  return store.get<number>(`runs:${id}`);
}

describe('@Cached across instance processes on one Redis', () => {
  it('runs the method once for 10 instances x 100 concurrent callers of a cold key', async () => {
    const { values, runs, stats } = await stampede(config('stampede'), 10, 100, 'cold');
    expect(runs).toBe(1);
    expect(values).toHaveLength(1000);
    const [first] = values as Array<{ run: number; pid: number }>;
    expect(first?.run).toBe(1);
    expect(values.every((value) => JSON.stringify(value) === JSON.stringify(first))).toBe(true);
    expect(total(stats, 'misses')).toBe(1);
    expect(total(stats, 'coalesced')).toBe(990);
    expect(total(stats, 'lockWaits')).toBe(9);
    expect(total(stats, 'lockTimeouts')).toBe(0);
  }, 120_000);

  it('lets another instance finish when the lease holder is killed mid-computation', async () => {
    // Long enough that the holder is killed mid-computation (it is killed once it starts).
    const computeMs = 1500;
    const setup = config('killed', {
      computeMs,
      cached: { ttl: 60, leaseTtl: 1, lockWait: 10 },
    });
    const reader = createStore(setup.store);
    try {
      running = await startInstances(3, setup);
      const calls = running.map((instance) => instance.call('k', 20));
      // Whichever instance starts computing first holds the lease: kill it, as a crash would.
      const holder = await Promise.race(
        running.map((instance) => instance.computingOf('k').then(() => instance)),
      );
      await holder.kill();
      const killedAt = Date.now();
      const outcomes = await Promise.allSettled(calls);
      const survivors = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value);
      expect(survivors).toHaveLength(2);
      const results = survivors.flatMap((reply) => reply.results ?? []);
      expect(results).toHaveLength(40);
      for (const result of results) {
        expect(result.value).toMatchObject({ id: 'k', run: 2 });
        expect(result.value?.pid).not.toBe(holder.pid);
        // The documented bound: lockWait (10 s) + one computation.
        expect(result.ms).toBeLessThan(10_000 + computeMs);
      }
      // The takeover came from the lease expiring (1 s), not from giving up after lockWait.
      expect(
        total(
          survivors.map((r) => r.stats as never),
          'lockTimeouts',
        ),
      ).toBe(0);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      expect(await runsOf(reader, 'k')).toBe(2);
    } finally {
      await reader.close();
    }
  }, 120_000);

  it('serves the stale value to every caller after expiry while exactly one refresh runs', async () => {
    // Far longer than the 60 stale calls take: none of them may wait for it.
    const computeMs = 2000;
    const setup = config('swr', {
      computeMs,
      cached: { ttl: 0.5, staleWhileRevalidate: 60 },
    });
    const reader = createStore(setup.store);
    try {
      running = await startInstances(3, setup);
      const [first] = running as [Instance];
      const written = Date.now();
      const warm = await first.call('s');
      expect(warm.results?.[0]?.value?.run).toBe(1);
      // Past the 0.5 s ttl, well within the stale window.
      // The first run took computeMs; its entry is fresh for 0.5 s after its write.
      await sleep(Math.max(0, written + computeMs + 800 - Date.now()));
      const replies = await Promise.all(running.map((instance) => instance.call('s', 20)));
      const results = replies.flatMap((reply) => reply.results ?? []);
      expect(results).toHaveLength(60);
      for (const result of results) {
        expect(result.value?.run).toBe(1);
        // Nobody waited for the refresh.
        expect(result.ms).toBeLessThan(computeMs);
      }
      expect(
        total(
          replies.map((r) => r.stats as never),
          'staleServed',
        ),
      ).toBe(60);
      await waitUntil(async () => (await runsOf(reader, 's')) === 2, 10_000, 'the refresh');
      await waitUntil(
        async () => (await first.call('s')).results?.[0]?.value?.run === 2,
        10_000,
        'the refreshed value',
      );
      // Give a second refresh every chance to show up before counting: a run counts itself
      // before it computes, so one started by any call so far shows at once.
      await sleep(1000);
      expect(await runsOf(reader, 's')).toBe(2);
      const stats = await Promise.all(running.map((instance) => instance.stats()));
      expect(total(stats as never, 'refreshes')).toBe(1);
      expect(total(stats as never, 'refreshFailures')).toBe(0);
    } finally {
      await reader.close();
    }
  }, 120_000);

  it('invalidates tags on every instance: a tag dropped by one is recomputed by the others', async () => {
    const setup = config('tags', { computeMs: 10, tagged: true });
    running = await startInstances(2, setup);
    const [a, b] = running as [Instance, Instance];
    expect((await a.call('t1')).results?.[0]?.value?.run).toBe(1);
    expect((await b.call('t1')).results?.[0]?.value?.run).toBe(1);
    expect((await b.call('t2')).results?.[0]?.value?.run).toBe(1);
    expect((await b.invalidateTags('item:t1')).deleted).toBe(1);
    expect((await a.call('t1')).results?.[0]?.value?.run).toBe(2);
    expect((await a.call('t2')).results?.[0]?.value?.run).toBe(1);
    expect((await a.invalidateTags('all-items')).deleted).toBe(2);
    expect((await b.call('t1')).results?.[0]?.value?.run).toBe(3);
    expect((await b.call('t2')).results?.[0]?.value?.run).toBe(2);
  }, 60_000);
});
