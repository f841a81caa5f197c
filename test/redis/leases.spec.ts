import { InvalidArgumentError, RedisStore, createStore, supportsLeases } from '../../lib/index.js';
import { sleep } from '../support/sleep.js';
import { LOOPBACK, redisCli, uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';

let redis: SharedServer;
const opened: RedisStore[] = [];

beforeAll(async () => {
  redis = sharedStandalone();
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

function open(keyPrefix = uniquePrefix('lease')): RedisStore {
  const store = createStore({ type: 'redis', host: LOOPBACK, port: redis.port, keyPrefix });
  if (!(store instanceof RedisStore)) throw new Error('expected a RedisStore');
  opened.push(store);
  return store;
}

describe('Redis store leases', () => {
  it('says its leases are shared by every process on the same server', () => {
    const store = open();
    expect(supportsLeases(store)).toBe(true);
    expect(store.leasesSharedAcrossProcesses).toBe(true);
    expect(supportsLeases(createStore({ type: 'memory' }))).toBe(false);
  });

  it('gives a lease to one holder at a time, across two connections', async () => {
    const prefix = uniquePrefix('lease-two');
    const [a, b] = [open(prefix), open(prefix)];
    const outcomes = await Promise.all([
      a.tryLease('job', 'token-a', 5000),
      b.tryLease('job', 'token-b', 5000),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it('lets only the token that took a lease renew or release it', async () => {
    const store = open();
    expect(await store.tryLease('job', 'mine', 5000)).toBe(true);
    expect(await store.releaseLease('job', 'theirs')).toBe(false);
    expect(await store.renewLease('job', 'theirs', 5000)).toBe(false);
    expect(await store.tryLease('job', 'theirs', 5000)).toBe(false);
    expect(await store.renewLease('job', 'mine', 5000)).toBe(true);
    expect(await store.releaseLease('job', 'mine')).toBe(true);
    expect(await store.tryLease('job', 'theirs', 5000)).toBe(true);
  });

  it('frees a lease whose holder never releases it once its TTL passes', async () => {
    const store = open();
    const takenAt = Date.now();
    expect(await store.tryLease('job', 'crashed', 300)).toBe(true);
    expect(await store.tryLease('job', 'next', 5000)).toBe(false);
    await sleep(Math.max(0, takenAt + 600 - Date.now()));
    expect(await store.tryLease('job', 'next', 5000)).toBe(true);
  });

  it('keeps leases out of ranges, counts and clear, under the store prefix', async () => {
    const prefix = uniquePrefix('lease-hidden');
    const store = open(prefix);
    await store.put('job', 'data');
    expect(await store.tryLease('job', 'token', 60_000)).toBe(true);
    expect(await store.rangeGet('')).toEqual([['job', 'data']]);
    expect((await store.getStats()).totalKeys).toBe(1);
    // The lease key starts with the prefix (so ACL ~prefix* patterns cover it).
    const keys = (await redisCli(redis.port, '--scan', '--pattern', `${prefix}*`))
      .trim()
      .split('\n');
    expect(keys).toHaveLength(3);
    expect(keys.some((key) => key.includes('kv-lease:job'))).toBe(true);
    expect(await store.clear()).toBe(1);
    expect(await store.tryLease('job', 'other', 60_000)).toBe(false);
  });

  it('rejects a bad name, token or TTL with InvalidArgumentError, taking nothing', async () => {
    const store = open();
    await expect(store.tryLease('', 't', 1000)).rejects.toThrow(InvalidArgumentError);
    await expect(store.tryLease('job', '', 1000)).rejects.toThrow('lease token for "job"');
    await expect(store.tryLease('job', 't', 0)).rejects.toThrow('lease TTL for "job"');
    await expect(store.tryLease('job', 't', 1.5)).rejects.toThrow(InvalidArgumentError);
    await expect(store.renewLease('job', 't', 7_200_000)).rejects.toThrow('3600000');
    await expect(store.releaseLease('job', 42 as unknown as string)).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(await store.tryLease('job', 't', 1000)).toBe(true);
  });
});
