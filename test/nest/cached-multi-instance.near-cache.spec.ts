import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { startInstances, type Instance, type InstanceConfig } from './multi-instance/instances.js';

// Tags across instance processes whose Redis stores keep a near cache (docs/near-cache.md).
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

async function runOf(instance: Instance, id: string): Promise<number | undefined> {
  return (await instance.call(id)).results?.[0]?.value?.run;
}

function nearCacheHits(stats: Record<string, unknown>): number {
  return Number((stats.nearCache as { hits?: number } | undefined)?.hits ?? Number.NaN);
}

describe('@Cached tags with the near cache, across instance processes', () => {
  it('a tag invalidated by one instance is dropped from the near cache of the other', async () => {
    const setup: InstanceConfig = {
      store: {
        type: 'redis',
        host: LOOPBACK,
        port: redis.port,
        keyPrefix: uniquePrefix('near-tags'),
        nearCache: { maxEntries: 1000 },
      } as InstanceConfig['store'],
      cached: { ttl: 60 },
      computeMs: 10,
      tagged: true,
    };
    running = await startInstances(2, setup);
    const [a, b] = running as [Instance, Instance];
    expect(await runOf(a, 'n1')).toBe(1);
    expect(await runOf(a, 'n1')).toBe(1);
    expect(await runOf(a, 'n1')).toBe(1);
    // A answers its hits from its near cache now.
    expect(nearCacheHits(await a.storeStats())).toBeGreaterThan(0);
    expect(await runOf(b, 'n1')).toBe(1);
    expect((await b.invalidateTags('item:n1')).deleted).toBe(1);
    // Redis tells A to drop the key; A then computes again instead of serving run 1.
    await waitUntil(async () => (await runOf(a, 'n1')) === 2, 5000, 'A to compute again');
    expect(await runOf(b, 'n1')).toBe(2);
  }, 60_000);
});
