import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { RedisStore, TimeoutError, type RedisStoreOptions } from '../../lib/index.js';
import { KeyLayout } from '../../lib/redis/index/key-layout.js';
import { roleOf, timeUntilWorks } from '../support/redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  startCluster,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type ClusterSetup,
  type RedisProcess,
  type SentinelSetup,
} from '../support/redis-harness.js';
import { clusterStore } from '../support/redis-stores.js';
import { sleep } from '../support/sleep.js';

const DURABILITY = { replicas: 1, timeout: 0.5 } as const;
/** Slack past durability.timeout for a rejection to reach the caller on a loaded 2-core machine. */
const REJECT_MARGIN_MS = 300;
/** Gets per second while the writes run: 200 gets or more per run. */
const GET_RATE = 200;
/** Steady writes: WRITE_RATE a second for STEADY_MS, then BURST writes one per event-loop turn. */
const WRITE_RATE = 10;
const STEADY_MS = 1000;
const BURST = 40;
/** Runs with and without durability, alternating. */
const ROUNDS = 3;

/** One write: how it ended and how long after it was issued. */
interface WriteOutcome {
  ms: number;
  error: unknown;
}

/** What one run measured. */
interface Run {
  /** Latency of every get in ms; a get that failed counts as Infinity. */
  gets: number[];
  writes: WriteOutcome[];
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] as number;
}

function p99(samples: readonly number[]): number {
  return percentile(samples, 0.99);
}

/** p50 / p90 / p99 / max of get latencies, in ms. */
function spread(samples: readonly number[]): string {
  const at = (p: number): string => percentile(samples, p).toFixed(1);
  return `p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)} ms`;
}

function timed(write: () => Promise<unknown>): Promise<WriteOutcome> {
  const start = performance.now();
  return write().then(
    () => ({ ms: performance.now() - start, error: undefined }),
    (error: unknown) => ({ ms: performance.now() - start, error }),
  );
}

/**
 * Writes at WRITE_RATE for STEADY_MS, then a burst of BURST writes each in its own event-loop
 * turn (so the store cannot fold them into one command), while gets of a key written before run
 * at GET_RATE, each issued on time whether the previous one answered or not.
 */
async function writesAndGets(store: RedisStore): Promise<Run> {
  const gets: number[] = [];
  const getCalls: Array<Promise<void>> = [];
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const start = performance.now();
      getCalls.push(
        store.get('read-me').then(
          () => void gets.push(performance.now() - start),
          () => void gets.push(Infinity),
        ),
      );
      await sleep(1000 / GET_RATE);
    }
  })();
  const writes: Array<Promise<WriteOutcome>> = [];
  const steadyEnd = performance.now() + STEADY_MS;
  for (let i = 0; performance.now() < steadyEnd; i++) {
    writes.push(timed(() => store.put(`steady:${i}`, i)));
    await sleep(1000 / WRITE_RATE);
  }
  for (let i = 0; i < BURST; i++) {
    writes.push(timed(() => store.put(`burst:${i}`, i)));
    await nextTurn();
  }
  const outcomes = await Promise.all(writes);
  reading = false;
  await reader;
  await Promise.all(getCalls);
  return { gets, writes: outcomes };
}

/** Waits until the primary at `port` has a replica that finished its initial sync. */
async function waitForOnlineReplica(port: number): Promise<void> {
  await waitUntil(
    async () => /^slave0:.*state=online/m.test(await redisCli(port, 'info', 'replication')),
    30_000,
    `a replica of port ${port} to finish its initial sync`,
  );
}

const DURABILITY_ERROR =
  /confirmed the write of key "[^"]+" on 0 of 1 replicas within 0\.5 s \(durability\)/;

let setup: SentinelSetup;
let cluster: ClusterSetup;

// Both set-ups at once: each mostly waits for its own servers.
beforeAll(async () => {
  const [sentinel, clustered] = await Promise.allSettled([
    (async () => {
      const started = await startSentinelSetup('kvstalled');
      await waitForOnlineReplica(started.primary.port);
      return started;
    })(),
    (async () => {
      const started = await startCluster();
      for (const node of started.nodes) {
        if ((await roleOf(node.port)) === 'master') await waitForOnlineReplica(node.port);
      }
      return started;
    })(),
  ]);
  if (sentinel.status === 'fulfilled') setup = sentinel.value;
  if (clustered.status === 'fulfilled') cluster = clustered.value;
  for (const result of [sentinel, clustered]) {
    if (result.status === 'rejected') throw result.reason;
  }
}, 120_000);

afterAll(async () => {
  if (setup) process.kill(setup.replica.pid, 'SIGCONT');
  for (const node of cluster?.nodes ?? []) process.kill(node.pid, 'SIGCONT');
  await Promise.all([setup?.stop(), cluster?.stop()]);
});

describe('durability with a stalled replica (SIGSTOP)', () => {
  function open(durability: RedisStoreOptions['durability']): RedisStore {
    return new RedisStore({
      sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
      sentinelName: setup.name,
      keyPrefix: uniquePrefix('stalled'),
      timeout: 2,
      durability,
    });
  }

  async function measure(durability: RedisStoreOptions['durability']): Promise<Run> {
    const store = open(durability);
    try {
      // Right after the previous run's SIGCONT the replica may still be catching up.
      await waitUntil(
        () =>
          store.put('read-me', 'value').then(
            () => true,
            () => false,
          ),
        10_000,
        'a confirmed write before the replica is stopped',
      );
      process.kill(setup.replica.pid, 'SIGSTOP');
      try {
        return await writesAndGets(store);
      } finally {
        process.kill(setup.replica.pid, 'SIGCONT');
      }
    } finally {
      await store.clear().catch(() => undefined);
      await store.close();
    }
  }

  it('gets stay as fast as without durability, and every unconfirmed write rejects with the durability error within its timeout', async () => {
    const withoutRuns: Run[] = [];
    const withRuns: Run[] = [];
    // Alternated, so a slower stretch of a shared machine weighs on both sides; three rounds, so
    // that p99 is not decided by the two or three slowest gets.
    for (let round = 0; round < ROUNDS; round++) {
      withoutRuns.push(await measure(undefined));
      withRuns.push(await measure(DURABILITY));
    }
    const without = withoutRuns.flatMap((run) => run.gets);
    const withDurability = withRuns.flatMap((run) => run.gets);
    const writes = withRuns.flatMap((run) => run.writes);
    const durabilityErrors = writes.filter(
      ({ error }) => error instanceof TimeoutError && DURABILITY_ERROR.test(error.message),
    );
    const inTime = durabilityErrors.filter(
      ({ ms }) => ms <= DURABILITY.timeout * 1000 + REJECT_MARGIN_MS,
    );
    const failedGets = withDurability.filter((ms) => ms === Infinity).length;
    console.log(
      `Replica stopped, timeout 2 s, ${GET_RATE} gets/s, ${WRITE_RATE} writes/s for ${STEADY_MS} ms then a burst of ${BURST}, ${ROUNDS} runs each: ` +
        `gets without durability ${spread(without)} (${without.length} gets); ` +
        `with durability ${spread(withDurability)} (${withDurability.length} gets, ${failedGets} failed); ` +
        `writes: ${writes.length}, ${durabilityErrors.length} rejected with the durability error, ${inTime.length} of them within ${DURABILITY.timeout * 1000 + REJECT_MARGIN_MS} ms, ` +
        `slowest rejection ${Math.max(...writes.map(({ ms }) => ms)).toFixed(0)} ms; other outcomes: ${writes
          .filter((w) => !durabilityErrors.includes(w))
          .map(({ error }) => String(error))
          .slice(0, 3)
          .join(' | ')}`,
    );
    expect(without.every((ms) => ms !== Infinity)).toBe(true);
    expect(failedGets).toBe(0);
    // 50 ms: below it, a 2x bound on a sub-millisecond baseline measures scheduler noise.
    expect(p99(withDurability)).toBeLessThanOrEqual(Math.max(2 * p99(without), 50));
    expect(durabilityErrors).toHaveLength(writes.length);
    expect(inTime).toHaveLength(writes.length);
    expect(withoutRuns.flatMap((run) => run.writes).every(({ error }) => !error)).toBe(true);
  }, 60_000);
});

describe('durability on a cluster: each write is confirmed by the replica of its own master', () => {
  it('with one replica stopped, writes to its master reject with the durability error in time, the others resolve, gets stay fast', async () => {
    const keyPrefix = uniquePrefix('cdurable');
    const store = clusterStore(cluster, 'cdurable', {
      keyPrefix,
      timeout: 2,
      durability: DURABILITY,
    });
    const layout = KeyLayout.cluster(keyPrefix);
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`);
    let stopped: RedisProcess | undefined;
    try {
      // A replica that has just finished its first sync may still be loading it on a loaded
      // machine: what is tested starts once a durable write is confirmed on every shard.
      await timeUntilWorks(
        () => store.putMany(keys.map((key) => [key, 'before'])),
        20_000,
        'a durable putMany confirmed on every shard',
      );
      // Confirmed on every shard: the replicas hold every key the masters hold, at once.
      const sizes = { master: 0, replica: 0 };
      for (const node of cluster.nodes) {
        const role = (await roleOf(node.port)) === 'master' ? 'master' : 'replica';
        sizes[role] += Number(await redisCli(node.port, 'dbsize'));
      }
      expect(sizes.master).toBeGreaterThanOrEqual(keys.length);
      expect(sizes.replica).toBe(sizes.master);
      let replicaPort = 0;
      let masterPort = 0;
      for (const node of cluster.nodes) {
        if ((await roleOf(node.port)) === 'master') continue;
        stopped = node;
        replicaPort = node.port;
        const info = await redisCli(node.port, 'info', 'replication');
        masterPort = Number(/^master_port:(\d+)/m.exec(info)?.[1]);
        break;
      }
      expect(replicaPort).toBeGreaterThan(0);
      process.kill((stopped as RedisProcess).pid, 'SIGSTOP');
      const gets: number[] = [];
      const outcomes = await Promise.all(
        keys.map(async (key, i) => {
          await sleep(i * 5);
          const getStart = performance.now();
          const read = store.get(keys[(i + 1) % keys.length] as string).then(
            () => void gets.push(performance.now() - getStart),
            () => void gets.push(Infinity),
          );
          const outcome = await timed(() => store.put(key, 'after'));
          await read;
          return { key, ...outcome };
        }),
      );
      process.kill((stopped as RedisProcess).pid, 'SIGCONT');
      const onStalledMaster = new Set<string>();
      for (const key of keys) {
        const name = layout.shardFor(key).dataPrefix + key;
        if ((await redisCli(masterPort, 'exists', name)).trim() === '1') onStalledMaster.add(key);
      }
      const rejected = outcomes.filter(({ error }) => error !== undefined);
      console.log(
        `Cluster, the replica of one master stopped: ${rejected.length} of ${outcomes.length} writes rejected (${onStalledMaster.size} keys live on that master), ` +
          `slowest write ${Math.max(...outcomes.map(({ ms }) => ms)).toFixed(0)} ms, gets p99 ${p99(gets).toFixed(1)} ms`,
      );
      expect(onStalledMaster.size).toBeGreaterThan(0);
      expect(onStalledMaster.size).toBeLessThan(keys.length);
      for (const { key, error, ms } of outcomes) {
        if (onStalledMaster.has(key)) {
          expect(error).toBeInstanceOf(TimeoutError);
          expect(String(error)).toMatch(DURABILITY_ERROR);
          expect(ms).toBeLessThanOrEqual(DURABILITY.timeout * 1000 + REJECT_MARGIN_MS);
        } else {
          expect(error).toBeUndefined();
        }
      }
      expect(gets.every((ms) => ms !== Infinity)).toBe(true);
      // 64 gets, so p99 is the slowest one: 100 ms leaves room for a loaded machine, while gets
      // queued behind a WAIT wait for it (up to 0.5 s here).
      expect(p99(gets)).toBeLessThanOrEqual(100);
    } finally {
      if (stopped) process.kill(stopped.pid, 'SIGCONT');
      await store.clear().catch(() => undefined);
      await store.close();
    }
  }, 60_000);
});
