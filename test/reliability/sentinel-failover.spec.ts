import { RedisStore } from '../../lib/index.js';
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
  setDownAfter,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type SentinelSetup,
} from '../support/redis-harness.js';

const DOWN_AFTER_MS = 1000;
/**
 * The Guarantees page's bound: writes work again within `down-after-milliseconds` plus 5 s of the
 * kill (detection, election, promotion, the store asking Sentinel again); measured about 1.9 s.
 */
const RECOVERY_BOUND_MS = DOWN_AFTER_MS + 5000;

let setup: SentinelSetup;

beforeAll(async () => {
  setup = await startSentinelSetup('kvkilled');
  // The harness waits 5 s before calling a primary down; a killed primary is detected sooner here.
  await setDownAfter(setup, DOWN_AFTER_MS);
}, 30_000);

afterAll(async () => {
  await setup?.stop();
});

// test/redis/sentinel.spec.ts covers a requested failover (SENTINEL FAILOVER); this is the crash.
describe('Redis Sentinel: the primary killed with SIGKILL', () => {
  it('follows the promoted replica: acknowledged, replicated writes read back and writes work again', async () => {
    const watch = watchUnhandledRejections();
    const store = new RedisStore({
      sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
      name: setup.name,
      keyPrefix: uniquePrefix('sentinel-kill'),
      timeout: 1,
    });
    try {
      const before = Array.from({ length: 200 }, (_, i) => [`k${i}`, { i }] as const);
      await store.putMany(before);
      await waitForReplicas(setup.primary.port);

      await killHard(setup.primary);
      const failures = new Set<string>();
      const recoveryMs = await timeUntilWorks(
        () =>
          store.put('after', 'written').catch((error: unknown) => {
            failures.add(outcomeOf(error));
            throw error;
          }),
        20_000,
        'writes to reach the promoted replica',
      );
      console.log(
        `Sentinel failover (down-after-milliseconds ${DOWN_AFTER_MS}): writes work again ${recoveryMs} ms after SIGKILL of the primary; failures meanwhile: ${[...failures].join(', ')}`,
      );

      expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
      expect([...failures].every((code) => code === 'CONNECTION' || code === 'TIMEOUT')).toBe(true);
      expect(await roleOf(setup.replica.port)).toBe('master');
      await waitUntil(
        async () =>
          (
            await redisCli(setup.sentinel.port, 'sentinel', 'get-master-addr-by-name', setup.name)
          ).includes(String(setup.replica.port)),
        5000,
        'the Sentinel to name the promoted replica',
      );
      expect(await store.rangeGet('k')).toHaveLength(before.length);
      expect(await store.getMany(before.map(([key]) => key))).toEqual(
        before.map(([, value]) => value),
      );
      expect(await store.get('after')).toBe('written');
      expect(await store.increment('n', 2)).toBe(2);
      expect(watch.rejections).toEqual([]);
      await store.clear();
    } finally {
      await store.close();
      watch.stop();
    }
  }, 40_000);
});
