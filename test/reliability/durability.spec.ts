import {
  InvalidOptionsError,
  RedisStore,
  TimeoutError,
  type RedisStoreOptions,
} from '../../lib/index.js';
import {
  failoverUnderLoad,
  LAG_MS,
  waitForOnlineReplica,
  WRITERS,
} from '../support/failover-under-load.js';
import {
  commandCalls,
  LOOPBACK,
  redisCli,
  startRedis,
  stopAll,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';

describe('the durability option is validated when the store is created', () => {
  it.each([
    [{ replicas: 0, timeout: 1 }, /durability.replicas must be an integer of at least 1; got 0/],
    [{ replicas: 1.5, timeout: 1 }, /durability.replicas/],
    [{ replicas: 1 }, /durability.timeout must be a positive number of seconds/],
    [{ replicas: 1, timeout: -1 }, /durability.timeout/],
    [{ replicas: 1, timeout: 1, fsync: true }, /durability.fsync is not an option/],
    [{ replicas: 1, localAof: 'yes', timeout: 1 }, /durability.localAof must be true or false/],
    [{ replicas: -1, localAof: true, timeout: 1 }, /at least 0 with localAof; got -1/],
    [{ replicas: 1, timeout: 5 }, /durability.timeout \(5 s\) must be less than timeout \(5 s\)/],
    [true, /durability must be an object/],
  ])('%j is refused with InvalidOptionsError naming the field', (durability, message) => {
    const create = (): RedisStore =>
      new RedisStore({
        host: LOOPBACK,
        port: 1,
        timeout: 5,
        durability: durability as RedisStoreOptions['durability'],
      });
    expect(create).toThrow(InvalidOptionsError);
    expect(create).toThrow(message);
  });
});

describe('a store with durability on a primary with one replica', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  beforeAll(async () => {
    primary = await startRedis();
    replica = await startRedis({ args: ['--replicaof', LOOPBACK, String(primary.port)] });
    await waitForOnlineReplica(primary.port);
  }, 30_000);
  afterAll(() => stopAll([replica, primary]));

  let prefix: string;
  function open(): RedisStore {
    prefix = uniquePrefix('durable');
    return new RedisStore({
      host: LOOPBACK,
      port: primary.port,
      keyPrefix: prefix,
      timeout: 5,
      durability: { replicas: 1, timeout: 1 },
    });
  }

  it('resolves a write once the replica holds it, and every kind of write is confirmed', async () => {
    const store = open();
    try {
      await store.put('a', 1);
      await store.putMany([
        ['b', 2],
        ['c', 3],
      ]);
      expect(await store.putIfAbsent('d', 4)).toBe(true);
      expect(await store.increment('n', 2)).toBe(2);
      expect(await store.delete('d')).toBe(true);
      // Confirmed writes are on the replica the moment they resolve: no waiting here.
      expect(await redisCli(replica.port, 'get', `${prefix}n`)).toBe('2\n');
      expect(await redisCli(replica.port, 'exists', `${prefix}a`, `${prefix}b`, `${prefix}c`)).toBe(
        '3\n',
      );
      expect(await redisCli(replica.port, 'exists', `${prefix}d`)).toBe('0\n');
      await store.clear();
    } finally {
      await store.close();
    }
  });

  it('a caller reads its own confirmed writes, and writes of one key land in the order they were made', async () => {
    const store = open();
    try {
      for (let i = 0; i < 20; i++) {
        await store.put('mine', i);
        expect(await store.get('mine')).toBe(i);
      }
      // Issued together: each one's confirmation waits, yet they reach Redis in call order.
      await Promise.all([store.put('order', 'first'), store.put('order', 'second')]);
      await Promise.all([
        store.increment('count', 1),
        store.put('count', 10),
        store.increment('count', 5),
      ]);
      const [order, count] = await Promise.all([store.get('order'), store.get('count')]);
      expect(order).toBe('second');
      expect(count).toBe(15);
      expect(await redisCli(replica.port, 'get', `${prefix}order`)).toBe('"second"\n');
      await store.clear();
    } finally {
      await store.close();
    }
  });

  it('close() waits for the confirmation of a write still in flight, so the write resolves once the replica answers', async () => {
    const store = open();
    await store.ping();
    process.kill(replica.pid, 'SIGSTOP');
    let stopped = true;
    try {
      const write = store.put('closing', 1).then(
        () => 'confirmed',
        (error: unknown) => error,
      );
      // Applied on the primary: from now on the write only waits for its confirmation.
      await waitUntil(
        async () => (await redisCli(primary.port, 'exists', `${prefix}closing`)) === '1\n',
        5_000,
        'the write to reach the primary',
      );
      const closing = store.close();
      // A redis-cli round trip: time enough for close() to send QUIT and finish, had it not waited.
      await redisCli(primary.port, 'ping');
      process.kill(replica.pid, 'SIGCONT');
      stopped = false;
      expect(await write).toBe('confirmed');
      await closing;
    } finally {
      if (stopped) process.kill(replica.pid, 'SIGCONT');
    }
  });

  it('puts issued in the same tick as close() are sent, confirmed and resolve', async () => {
    const store = open();
    await store.ping();
    const writes = [store.put('last:1', 1), store.put('last:2', 2)];
    await store.close();
    await expect(Promise.all(writes)).resolves.toEqual([undefined, undefined]);
    expect(await redisCli(replica.port, 'exists', `${prefix}last:1`, `${prefix}last:2`)).toBe(
      '2\n',
    );
  });

  it('folds a burst of puts into few commands and confirms them with a few WAITs, not one per put', async () => {
    const store = open();
    try {
      await store.ping();
      const waitsBefore = await commandCalls(primary.port, 'wait');
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.put(`burst:${i}`, i)));
      const waits = (await commandCalls(primary.port, 'wait')) - waitsBefore;
      // The first put of the tick goes alone, the 299 others in one script call; the WAIT that
      // confirms the first runs while the others are answered, and one more confirms them all.
      expect(waits).toBeGreaterThanOrEqual(1);
      expect(waits).toBeLessThanOrEqual(3);
      expect(await store.rangeGet('burst:')).toHaveLength(300);
      await store.clear();
    } finally {
      await store.close();
    }
  });

  it('rejects with TimeoutError when the replica does not confirm in time; the write is on the primary only', async () => {
    const store = open();
    try {
      await store.ping();
      process.kill(replica.pid, 'SIGSTOP');
      let failure: unknown;
      try {
        failure = await store.put('unconfirmed', 'x').then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        process.kill(replica.pid, 'SIGCONT');
      }
      expect(failure).toBeInstanceOf(TimeoutError);
      expect(String(failure)).toMatch(
        /confirmed the write of key "unconfirmed" on 0 of 1 replicas within 1 s/,
      );
      expect(await store.get('unconfirmed')).toBe('x');
      await store.clear();
    } finally {
      await store.close();
    }
  });
});

describe('Sentinel failover under write load, the primary killed while its replica lags', () => {
  it('loses acknowledged writes without durability and none with durability: { replicas: 1 }', async () => {
    const without = await failoverUnderLoad(undefined);
    const withDurability = await failoverUnderLoad({ replicas: 1, timeout: 0.5 });
    console.log(
      `Sentinel failover (SIGKILL of the primary after the replica lagged ${LAG_MS} ms, ${WRITERS} writers): ` +
        `without durability ${without.lost} of ${without.acknowledged} acknowledged writes lost (writes again after ${without.recoveryMs} ms); ` +
        `with durability { replicas: 1, timeout: 0.5 } ${withDurability.lost} of ${withDurability.acknowledged} lost (writes again after ${withDurability.recoveryMs} ms)`,
    );
    expect(withDurability.lost).toBe(0);
    expect(withDurability.acknowledged).toBeGreaterThan(500);
    // The scenario does lose writes when they are not confirmed, so the 0 above means something.
    expect(without.lost).toBeGreaterThan(0);
  }, 90_000);
});
