import { ConnectionError, RedisStore, SlotMigratingError, TimeoutError } from '../../lib/index.js';
import {
  killHard,
  outcomeOf,
  roleOf,
  timeUntilWorks,
  waitForReplicas,
  watchUnhandledRejections,
} from '../support/redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  startCluster,
  uniquePrefix,
  waitUntil,
  type ClusterSetup,
  type RedisProcess,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';

const NODE_TIMEOUT_MS = 1000;
const TIMEOUT_SECONDS = 1;
const SETTLE_BOUND_MS = TIMEOUT_SECONDS * 1000 + 1000;
const RECOVERY_BOUND_MS = 20_000;
/**
 * The Guarantees page's bound: every shard answers again within `cluster-node-timeout` plus 5 s of
 * the kill (measured 2.4-2.8 s); RECOVERY_BOUND_MS is only how long the test waits at most.
 */
const STATED_RECOVERY_MS = NODE_TIMEOUT_MS + 5000;
const KEYS_BEFORE = 1000;
const WORKERS = 8;

let cluster: ClusterSetup;

beforeAll(async () => {
  cluster = await startCluster();
  // Failure detection and replica promotion scale with cluster-node-timeout (5 s in the harness).
  for (const node of cluster.nodes) {
    await redisCli(node.port, 'config', 'set', 'cluster-node-timeout', String(NODE_TIMEOUT_MS));
  }
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

/** The master at `port`'s replica, as the master's INFO lists it. */
async function replicaPortOf(port: number): Promise<number> {
  const info = await redisCli(port, 'info', 'replication');
  const replica = /^slave0:ip=[^,]+,port=(\d+)/m.exec(info)?.[1];
  if (replica === undefined) throw new Error(`no replica attached to port ${port}`);
  return Number(replica);
}

describe('Redis Cluster: a master killed with SIGKILL during load', () => {
  it('its replica takes over, the store works again within a bounded time, and rangeGet returns every key confirmed before the kill', async () => {
    const masters: RedisProcess[] = [];
    for (const node of cluster.nodes)
      if ((await roleOf(node.port)) === 'master') masters.push(node);
    expect(masters).toHaveLength(3);
    const victim = masters[0] as RedisProcess;
    const heir = await replicaPortOf(victim.port);

    const watch = watchUnhandledRejections();
    const store = new RedisStore({
      cluster: { nodes: cluster.nodes.map((n) => ({ host: LOOPBACK, port: n.port })) },
      keyPrefix: uniquePrefix('failover'),
      timeout: TIMEOUT_SECONDS,
    });
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    const acknowledged: Array<{ key: string; at: number }> = [];
    let slowestMs = 0;
    let running = true;
    let next = 0;
    try {
      const before = Array.from(
        { length: KEYS_BEFORE },
        (_, i) => [`pre:${String(i).padStart(4, '0')}`, i] as const,
      );
      // The store's 1 s timeout is about the failover; on a loaded machine the first connection to
      // six nodes may take longer, so wait for it before seeding.
      await timeUntilWorks(() => store.ping(), 30_000, 'the store to reach the cluster');
      for (let i = 0; i < before.length; i += 100) await store.putMany(before.slice(i, i + 100));
      // Replication is asynchronous: only writes every replica has received survive a failover.
      for (const master of masters) await waitForReplicas(master.port);

      const worker = async (): Promise<void> => {
        while (running) {
          const key = `during:${next++}`;
          const t0 = performance.now();
          let outcome = 'ok';
          try {
            await store.put(key, 1);
            acknowledged.push({ key, at: performance.now() });
          } catch (error) {
            outcome = outcomeOf(error);
            // SlotMigratingError: the slot's owner changed under the write (MOVED until ioredis
            // gave up following it) and it did not run, which a failover also causes.
            const expected =
              error instanceof ConnectionError ||
              error instanceof TimeoutError ||
              error instanceof SlotMigratingError;
            if (!expected) {
              unexpected.push(`${key}: ${outcome}`);
            }
          }
          slowestMs = Math.max(slowestMs, performance.now() - t0);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          await sleep(outcome === 'ok' ? 1 : 20);
        }
      };
      const load = Array.from({ length: WORKERS }, worker);
      await sleep(300);

      const killedAt = performance.now();
      await killHard(victim);
      // Recovered: a range query over every shard (a third of them on the dead master's slots) answers.
      const recoveryMs = await timeUntilWorks(
        () => store.rangeGet('pre:', undefined, { limit: 1 }),
        RECOVERY_BOUND_MS,
        'the store to answer range queries again',
      );
      const recoveredAt = performance.now();
      await sleep(500);
      running = false;
      await Promise.all(load);
      const promotedAfterMs = Math.round(
        (await roleOf(heir)) === 'master' ? recoveredAt - killedAt : Number.NaN,
      );

      const rows = await store.rangeGet<number>('pre:');
      const duringKeys = new Set((await store.rangeGet('during:')).map(([key]) => key));
      const lostBeforeRecovery = acknowledged.filter(
        ({ key, at }) => at < killedAt && !duringKeys.has(key),
      ).length;
      const lostAfterRecovery = acknowledged.filter(
        ({ key, at }) => at > recoveredAt && !duringKeys.has(key),
      );
      console.log(
        `Cluster failover (cluster-node-timeout ${NODE_TIMEOUT_MS} ms): store answers every shard again ${recoveryMs} ms after SIGKILL of a master; ` +
          `load outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, slowest call ${Math.round(slowestMs)} ms; ` +
          `${lostBeforeRecovery} of ${acknowledged.filter(({ at }) => at < killedAt).length} writes acknowledged in the last moments before the kill were lost (async replication); replica promoted (${promotedAfterMs} ms)`,
      );

      expect(recoveryMs).toBeLessThan(STATED_RECOVERY_MS);
      expect(rows).toHaveLength(KEYS_BEFORE);
      expect(rows).toEqual(before.map(([key, value]) => [key, value]));
      expect(lostAfterRecovery).toEqual([]);
      expect(unexpected).toEqual([]);
      expect(watch.rejections).toEqual([]);
      expect(await roleOf(heir)).toBe('master');
      await waitUntil(
        async () => (await redisCli(heir, 'cluster', 'info')).includes('cluster_state:ok'),
        10_000,
        'cluster_state:ok after the failover',
      );
      await store.put('after', 'yes');
      expect(await store.get('after')).toBe('yes');
      await store.clear();
      // Every call settles within the store's timeout (plus scheduling margin), failover or not.
      expect(slowestMs).toBeLessThan(SETTLE_BOUND_MS);
    } finally {
      running = false;
      await store.close();
      watch.stop();
    }
  }, 60_000);
});
