import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { runDifferential } from '../conformance/differential.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import {
  redisCli,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type SentinelSetup,
} from '../support/redis-harness.js';
import { sentinelStore } from '../support/redis-stores.js';

let setup: SentinelSetup;

beforeAll(async () => {
  setup = await startSentinelSetup();
}, 30_000);

afterAll(async () => {
  await setup?.stop();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  return sentinelStore(setup, 'sentinel', options);
}

runKvStoreConformance('redis via Sentinel (primary + replica)', (options) => open(options));
runDifferential('redis via Sentinel', (options) => open(options));

describe('Redis Sentinel', () => {
  it('writes to the primary the Sentinel names, and the replica receives them', async () => {
    const prefix = uniquePrefix('sentinel-layout');
    const store = open({ keyPrefix: prefix });
    try {
      await store.put('k', 'v');
      expect(await redisCli(setup.primary.port, 'get', `${prefix}k`)).toBe('"v"\n');
      const stats = await store.getStats();
      expect(stats.topology).toBe('sentinel');
      expect(stats.totalKeys).toBe(1);
      await waitUntil(
        async () => (await redisCli(setup.replica.port, 'get', `${prefix}k`)) === '"v"\n',
        5000,
        'the replica to receive the write',
      );
      await store.clear();
    } finally {
      await store.close();
    }
  });
});

describe('Redis Sentinel failover (runs last: it swaps the primary)', () => {
  it('follows the Sentinel to the new primary after a failover', async () => {
    const store = open({ timeout: 2 });
    try {
      await store.put('before', 1);
      await redisCli(setup.sentinel.port, 'sentinel', 'failover', setup.name);
      await waitUntil(
        async () =>
          (
            await redisCli(setup.sentinel.port, 'sentinel', 'get-master-addr-by-name', setup.name)
          ).includes(String(setup.replica.port)),
        15_000,
        'the Sentinel to promote the replica',
      );
      await waitUntil(
        () =>
          store.put('after', 2).then(
            () => true,
            () => false,
          ),
        15_000,
        'writes to reach the new primary',
      );
      // A late +switch-master reconnects the store once more, failing the call in flight then
      // with ConnectionError (never sent again): what is tested is that reads reach the data.
      await waitUntil(
        async () =>
          (await store.get('before').catch(() => undefined)) === 1 &&
          (await store.get('after').catch(() => undefined)) === 2,
        15_000,
        'reads from the new primary to see both writes',
      );
      expect(await redisCli(setup.replica.port, 'role')).toMatch(/^master/);
      await store.clear();
    } finally {
      await store.close();
    }
  }, 40_000);
});
