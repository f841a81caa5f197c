import { CommandError, RedisStore } from '../../lib/index.js';
import { failoverUnderLoad, LAG_MS, WRITERS } from '../support/failover-under-load.js';
import { DURABLE_ARGS } from '../support/redis-faults.js';
import {
  commandCalls,
  LOOPBACK,
  startRedis,
  uniquePrefix,
  type RedisProcess,
} from '../support/redis-harness.js';
import { serverVersion } from '../support/server-binaries.js';

// durability.localAof sends WAITAOF, which Redis and Valkey have from 7.2 on. Each server runs
// the tests of what it does: the main run's Redis 7.0 the refusal, the matrix's Valkey 8 the rest.
const server = serverVersion();
const hasWaitAof = server.major > 7 || (server.major === 7 && server.minor >= 2);

/** A store on `port` that confirms each write with WAITAOF. */
function aofStore(port: number, replicas: number): RedisStore {
  return new RedisStore({
    host: LOOPBACK,
    port,
    keyPrefix: uniquePrefix('aof'),
    timeout: 5,
    durability: { replicas, localAof: true, timeout: 2 },
  });
}

/** What a put of `k` rejects with (undefined when it resolves). */
function failureOfPut(store: RedisStore): Promise<unknown> {
  return store.put('k', 1).then(
    () => undefined,
    (error: unknown) => error,
  );
}

if (hasWaitAof) {
  describe(`durability.localAof on ${server.text}`, () => {
    let primary: RedisProcess | undefined;
    afterEach(async () => {
      await primary?.stop();
      primary = undefined;
    });

    it('resolves a write once the primary has fsynced it to its append-only file (appendfsync everysec)', async () => {
      primary = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] });
      const store = aofStore(primary.port, 0);
      try {
        const before = await commandCalls(primary.port, 'waitaof');
        await store.put('a', 1);
        await store.putMany([
          ['b', 2],
          ['c', 3],
        ]);
        expect(await store.increment('n')).toBe(1);
        expect(await commandCalls(primary.port, 'waitaof')).toBeGreaterThan(before);
        await store.clear();
      } finally {
        await store.close();
      }
    });

    it('rejects a write with CommandError naming durability.localAof when the primary has appendonly off', async () => {
      primary = await startRedis();
      const store = aofStore(primary.port, 0);
      try {
        const failure = await failureOfPut(store);
        expect(failure).toBeInstanceOf(CommandError);
        expect(String(failure)).toMatch(/durability\.localAof .*appendonly is disabled/);
        // Applied on the primary, as the message says.
        expect(await store.get('k')).toBe(1);
      } finally {
        await store.close();
      }
    });

    it('loses no acknowledged write when the primary is killed while its replica lags (appendonly on both)', async () => {
      const without = await failoverUnderLoad(undefined, DURABLE_ARGS);
      const withAof = await failoverUnderLoad(
        { replicas: 1, localAof: true, timeout: 0.5 },
        DURABLE_ARGS,
      );
      console.log(
        `${server.text}, appendonly yes and appendfsync always, Sentinel failover (SIGKILL of the primary after the replica lagged ${LAG_MS} ms, ${WRITERS} writers): ` +
          `without durability ${without.lost} of ${without.acknowledged} acknowledged writes lost (writes again after ${without.recoveryMs} ms); ` +
          `with durability { replicas: 1, localAof: true, timeout: 0.5 } ${withAof.lost} of ${withAof.acknowledged} lost (writes again after ${withAof.recoveryMs} ms)`,
      );
      expect(withAof.lost).toBe(0);
      // The run waits for 500 acknowledged writes before the fault.
      expect(withAof.acknowledged).toBeGreaterThanOrEqual(500);
      // The scenario does lose writes that are not confirmed, so the 0 above means something.
      expect(without.lost).toBeGreaterThan(0);
    }, 90_000);
  });
} else {
  describe(`durability.localAof on ${server.text}`, () => {
    it('rejects every durable write with CommandError naming durability.localAof: the server has no WAITAOF', async () => {
      const primary = await startRedis({ args: ['--appendonly', 'yes'] });
      const store = aofStore(primary.port, 0);
      try {
        const failure = await failureOfPut(store);
        expect(failure).toBeInstanceOf(CommandError);
        expect(String(failure)).toMatch(
          /durability\.localAof \(WAITAOF needs Redis or Valkey 7\.2 or later.*unknown command 'WAITAOF'/,
        );
        // Applied on the primary, as the message says.
        expect(await store.get('k')).toBe(1);
      } finally {
        await store.close();
        await primary.stop();
      }
    });
  });
}
