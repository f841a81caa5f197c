import { RedisStore } from '../../../lib/index.js';
import {
  LOOPBACK,
  redisCli,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type SentinelSetup,
} from '../../support/redis-harness.js';
import {
  expectFreshWithinWindow,
  nearStats,
  waitUntilTracking,
} from './support/near-cache-helpers.js';

let setup: SentinelSetup;

beforeAll(async () => {
  setup = await startSentinelSetup();
}, 30_000);

afterAll(async () => {
  await setup?.stop();
});

describe('Redis near cache via Sentinel', () => {
  it('after a failover it empties itself, tracks on the new primary and sees writes made there', async () => {
    const prefix = uniquePrefix('near-sentinel');
    const store = new RedisStore({
      sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
      sentinelName: setup.name,
      keyPrefix: prefix,
      timeout: 2,
      nearCache: { maxEntries: 100 },
    });
    try {
      await waitUntilTracking(store);
      await store.put('k', 'before');
      await store.get('k');
      expect(await store.get('k')).toBe('before');
      await redisCli(setup.primary.port, 'set', `${prefix}k`, '"on-old-primary"');
      await expectFreshWithinWindow(store, 'k', 'on-old-primary', performance.now());
      const before = await nearStats(store);
      expect(before.entries).toBe(1);
      await waitUntil(
        async () =>
          (await redisCli(setup.replica.port, 'get', `${prefix}k`)) === '"on-old-primary"\n',
        10_000,
        'the replica to receive the write',
      );

      await redisCli(setup.sentinel.port, 'sentinel', 'failover', setup.name);
      await waitUntil(
        async () =>
          (
            await redisCli(setup.sentinel.port, 'sentinel', 'get-master-addr-by-name', setup.name)
          ).includes(String(setup.replica.port)),
        15_000,
        'the Sentinel to promote the replica',
      );
      // The old primary takes writes until the Sentinel demotes it (and kills its clients).
      let attempt = 0;
      await waitUntil(
        async () => {
          attempt++;
          await store.put('probe', attempt);
          return (await redisCli(setup.replica.port, 'get', `${prefix}probe`)) === `${attempt}\n`;
        },
        15_000,
        'writes to reach the new primary',
      );
      await waitUntilTracking(store, 15_000);
      expect((await nearStats(store)).flushes).toBeGreaterThan(before.flushes);
      // Both connections of the near cache are on the new primary.
      const clients = await redisCli(setup.replica.port, 'client', 'list');
      expect(clients).toMatch(/ name=nestjs-kv-store:invalidations:\S+ .*sub=1/);
      expect(clients).toMatch(/ name=nestjs-kv-store .*flags=t/);

      await store.get('k');
      expect(await store.get('k')).toBe('on-old-primary');
      await redisCli(setup.replica.port, 'set', `${prefix}k`, '"on-new-primary"');
      await expectFreshWithinWindow(store, 'k', 'on-new-primary', performance.now());
      expect((await nearStats(store)).hits).toBeGreaterThanOrEqual(2);
    } finally {
      await store.close();
    }
  }, 60_000);
});
