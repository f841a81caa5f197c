import { RedisStore } from '../../../lib/index.js';
import { runKvStoreConformance } from '../../conformance/kv-store.conformance.js';
import { LOOPBACK, uniquePrefix } from '../../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../../support/shared-redis/shared-servers.js';
import { waitUntilTracking } from './support/near-cache-helpers.js';

let server: SharedServer;

beforeAll(async () => {
  server = sharedStandalone();
});

afterAll(async () => {});

// The whole contract holds with the near cache on: values served from it behave exactly like
// values read from Redis (copies, TTLs, deletes, counters, batch operations).
runKvStoreConformance('redis with the near cache', async (options) => {
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('near-conformance'),
    timeout: 5,
    nearCache: { maxEntries: 1000 },
    ...options,
  });
  await waitUntilTracking(store);
  return store;
});
