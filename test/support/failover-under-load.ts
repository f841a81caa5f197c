import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { killHard, timeUntilWorks } from './redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  setDownAfter,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
} from './redis-harness.js';
import { sleep } from './sleep.js';

/**
 * The failover measurement of the durability specs: acknowledged writes lost when Sentinel
 * promotes a lagging replica after the primary is killed, with and without `durability`.
 */

/**
 * Waits until the primary at `port` has a replica that finished its initial sync (state=online):
 * until it is done WAIT counts no replica.
 */
export async function waitForOnlineReplica(port: number): Promise<void> {
  await waitUntil(
    async () => /^slave0:.*state=online/m.test(await redisCli(port, 'info', 'replication')),
    20_000,
    `a replica of port ${port} to finish its initial sync`,
  );
}

/** Outcome of one failover run: writes the store acknowledged, and how many of them are gone. */
export interface FailoverRun {
  acknowledged: number;
  lost: number;
  recoveryMs: number;
}

const DOWN_AFTER_MS = 1000;
export const WRITERS = 16;
/** How long the replica is cut off (stopped, link closed) right before the primary dies. */
export const LAG_MS = 300;

/**
 * Writers put distinct keys continuously; once 500 writes are acknowledged the replica falls
 * LAG_MS behind (stopped, link cut), the primary is killed with SIGKILL and the replica resumes,
 * Sentinel promotes it, and the run counts acknowledged keys missing from the new primary.
 * `serverArgs` go to the primary and the replica.
 */
export async function failoverUnderLoad(
  durability: RedisStoreOptions['durability'],
  serverArgs: readonly string[] = [],
): Promise<FailoverRun> {
  const setup = await startSentinelSetup(durability ? 'kvdurable' : 'kvasync', serverArgs);
  const options: RedisStoreOptions = {
    sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
    sentinelName: setup.name,
    keyPrefix: uniquePrefix('failover'),
    timeout: 2,
  };
  const store = new RedisStore({ ...options, durability });
  // After the failover the promoted replica has no replica of its own, so a durable store rejects
  // every write until one attaches: recovery and the count are measured through a plain store.
  const plain = new RedisStore(options);
  try {
    await setDownAfter(setup, DOWN_AFTER_MS);
    await waitForOnlineReplica(setup.primary.port);
    await store.connect();
    const acknowledged: string[] = [];
    let next = 0;
    let running = true;
    const writer = async (): Promise<void> => {
      while (running) {
        const key = `w${next++}`;
        try {
          await store.put(key, next);
          acknowledged.push(key);
        } catch {
          await sleep(20);
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    await waitUntil(() => acknowledged.length >= 500, 20_000, '500 acknowledged writes');
    // The replica falls behind: stopped, and its link cut by the primary, so what the primary
    // acknowledges from now on reaches no replica (stopping alone is not enough: the kernel would
    // still hand the replica everything already sent once it resumes).
    process.kill(setup.replica.pid, 'SIGSTOP');
    await redisCli(setup.primary.port, 'client', 'kill', 'type', 'replica');
    await sleep(LAG_MS);
    await killHard(setup.primary);
    process.kill(setup.replica.pid, 'SIGCONT');
    const recoveryMs = await timeUntilWorks(
      () => plain.put('probe', 1),
      30_000,
      'writes to reach the promoted replica',
    );
    running = false;
    await Promise.all(writers);
    const values = await plain.getMany(acknowledged);
    const lost = values.filter((value) => value === undefined).length;
    await plain.clear();
    return { acknowledged: acknowledged.length, lost, recoveryMs };
  } finally {
    await store.close();
    await plain.close();
    await setup.stop();
  }
}
