import { RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import {
  LOOPBACK,
  redisCli,
  startSentinelSetup,
  uniquePrefix,
  waitUntil,
  type SentinelSetup,
} from '../support/redis-harness.js';

let setup: SentinelSetup;

beforeAll(async () => {
  setup = await startSentinelSetup();
}, 30_000);

afterAll(async () => {
  await setup?.stop();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore({
    sentinels: [{ host: LOOPBACK, port: setup.sentinel.port }],
    name: setup.name,
    keyPrefix: uniquePrefix('sentinel'),
    timeout: 5,
    ...options,
  });
}

runKvStoreConformance('redis via Sentinel (primary + replica)', (options) => open(options));

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
