import { performance } from 'node:perf_hooks';
import { Test } from '@nestjs/testing';
import {
  CircuitOpenError,
  createStore,
  InvalidOptionsError,
  kvStoreOptionsFromEnv,
  KvStoreHealthIndicator,
  KvStoreModule,
  type RedisStore,
} from '../../lib/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { outcomeOf } from '../support/redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';
import { standaloneStore } from '../support/redis-stores.js';

/**
 * The Redis store's circuit breaker against a real redis-server: paused with SIGSTOP, partitioned
 * or reset through the loopback fault proxy. Stores use `timeout: 0.5`, so a call that waits for
 * a paused Redis takes half a second (500 times a local round trip), and a call refused by the
 * breaker takes microseconds.
 */
const TIMEOUT_S = 0.5;

let server: RedisProcess;
const open: RedisStore[] = [];
const paused = new Set<number>();

beforeAll(async () => {
  server = await startRedis();
});

afterEach(async () => {
  for (const pid of paused) process.kill(pid, 'SIGCONT');
  paused.clear();
  await Promise.all(open.splice(0).map((store) => store.close().catch(() => undefined)));
});

afterAll(async () => {
  await server?.stop();
});

function storeOf(label: string, options: Parameters<typeof standaloneStore>[2] = {}): RedisStore {
  const store = standaloneStore(server, label, { timeout: TIMEOUT_S, ...options });
  open.push(store);
  return store;
}

function pause(target: RedisProcess): void {
  process.kill(target.pid, 'SIGSTOP');
  paused.add(target.pid);
}

function resume(target: RedisProcess): void {
  process.kill(target.pid, 'SIGCONT');
  paused.delete(target.pid);
}

/** How `call` settled: `'ok'` or the error's code, and how long it took in milliseconds. */
async function settle(call: () => Promise<unknown>): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  const outcome = await call().then(
    () => 'ok',
    (error: unknown) => outcomeOf(error),
  );
  return { outcome, ms: performance.now() - started };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function tally(outcomes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

/** Three calls that wait for a paused or partitioned Redis, which opens a breaker of `failures: 3`. */
async function threeTimeouts(store: RedisStore): Promise<string[]> {
  const results = await Promise.all(['a', 'b', 'c'].map((key) => settle(() => store.get(key))));
  return results.map((r) => r.outcome);
}

async function untilHalfOpen(store: RedisStore): Promise<void> {
  await waitUntil(
    () => store.circuitBreakerStats()?.state === 'half-open',
    10_000,
    'the breaker to let a probe through',
  );
}

describe('Redis circuit breaker', () => {
  it('fails every call at once while Redis is paused, writes nothing, and closes once Redis answers again', async () => {
    const store = storeOf('breaker-paused', {
      circuitBreaker: { failures: 3, duration: 2 },
    });
    await store.connect();
    await store.put('kept', 'before');

    pause(server);
    expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    const openedAt = performance.now();
    expect(store.circuitBreakerStats()).toMatchObject({ state: 'open', opens: 1 });

    const calls: Array<{ outcome: string; ms: number }> = [];
    let refusal: unknown;
    for (let i = 0; i < 100; i++) {
      calls.push(
        await settle(() =>
          (i % 2 === 0 ? store.get(`k${i}`) : store.put('kept', `refused ${i}`)).catch(
            (error: unknown) => {
              refusal = error;
              throw error;
            },
          ),
        ),
      );
    }
    expect(tally(calls.map((c) => c.outcome))).toEqual({ CIRCUIT_OPEN: 100 });
    expect(
      percentile(
        calls.map((c) => c.ms),
        99,
      ),
    ).toBeLessThanOrEqual(50);
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    const { retryInMs, message } = refusal as CircuitOpenError;
    expect(retryInMs).toBeGreaterThan(0);
    expect(retryInMs).toBeLessThanOrEqual(2000);
    expect(message).toMatch(/circuit breaker of Redis at 127\.0\.0\.1:\d+ is open/);
    // Bad input still gets its own error, and getStats() is refused like any call to Redis.
    expect((await settle(() => store.get(''))).outcome).toBe('INVALID_ARGUMENT');
    expect((await settle(() => store.getStats())).outcome).toBe('CIRCUIT_OPEN');
    expect(store.circuitBreakerStats()).toMatchObject({ state: 'open', opens: 1, refused: 101 });

    resume(server);
    for (;;) {
      const { outcome } = await settle(() => store.get('kept'));
      if (outcome === 'ok') break;
      expect(outcome).toBe('CIRCUIT_OPEN');
      if (performance.now() - openedAt > 10_000)
        throw new Error('the breaker did not close in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const closedAfterMs = performance.now() - openedAt;
    // Its duration (2 s), then one probe that Redis answers at once; 1 s of margin for a loaded machine.
    expect(closedAfterMs).toBeLessThanOrEqual(2000 + TIMEOUT_S * 1000 + 1000);
    expect(store.circuitBreakerStats()).toMatchObject({ state: 'closed', retryInMs: 0 });
    // No refused put reached Redis.
    expect(await store.get('kept')).toBe('before');
    await store.put('kept', 'after recovery');
    expect(await store.get('kept')).toBe('after recovery');
    expect((await store.getStats()).circuit).toMatchObject({ state: 'closed', opens: 1 });
  }, 30_000);

  it('without the option, every call waits for the paused Redis as before', async () => {
    const store = storeOf('breaker-off');
    await store.connect();
    pause(server);
    expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    const next = await settle(() => store.get('d'));
    expect(next.outcome).toBe('TIMEOUT');
    expect(next.ms).toBeGreaterThan(TIMEOUT_S * 1000 - 100);
    expect(store.circuitBreakerStats()).toBeUndefined();
  }, 30_000);

  it('a probe that times out opens it again, and calls made during the probe fail at once', async () => {
    const store = storeOf('breaker-probe', { circuitBreaker: { failures: 3, duration: 0.5 } });
    await store.connect();
    pause(server);
    await threeTimeouts(store);
    await untilHalfOpen(store);

    const probe = settle(() => store.get('probe'));
    const during: Array<{ outcome: string; ms: number }> = [];
    let refusal: CircuitOpenError | undefined;
    for (let i = 0; i < 20; i++) {
      during.push(
        await settle(() =>
          store.exists(`k${i}`).catch((error: unknown) => {
            refusal = error as CircuitOpenError;
            throw error;
          }),
        ),
      );
    }
    expect(tally(during.map((c) => c.outcome))).toEqual({ CIRCUIT_OPEN: 20 });
    expect(Math.max(...during.map((c) => c.ms))).toBeLessThanOrEqual(50);
    expect(refusal?.message).toMatch(/one call is probing whether Redis answers again/);
    expect((await probe).outcome).toBe('TIMEOUT');
    expect(store.circuitBreakerStats()).toMatchObject({ state: 'open', opens: 2 });

    // close() while it is open and Redis is still paused: bounded by the store's timeout.
    const closing = await settle(() => store.close());
    expect(closing.outcome).toBe('ok');
    expect(closing.ms).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 1000);
    expect((await settle(() => store.get('x'))).outcome).toBe('STORE_CLOSED');
  }, 30_000);

  it('a connection reset during the probe opens it again; the next probe closes it', async () => {
    const proxy = await FaultProxy.start(server.port);
    try {
      const store = storeOf('breaker-reset', {
        host: LOOPBACK,
        port: proxy.port,
        circuitBreaker: { failures: 3, duration: 0.5 },
      });
      await store.connect();
      proxy.stallAll();
      expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      expect(store.circuitBreakerStats()?.state).toBe('open');
      proxy.heal();
      const reset = proxy.inject({ command: 'EXISTS', action: 'reset-before' });
      await untilHalfOpen(store);
      expect((await settle(() => store.exists('probe'))).outcome).toBe('CONNECTION');
      await reset.fired;
      expect(store.circuitBreakerStats()).toMatchObject({ state: 'open', opens: 2 });

      await untilHalfOpen(store);
      await waitUntil(
        async () => (await settle(() => store.ping())).outcome === 'ok',
        5000,
        'a probe to pass',
      );
      expect(store.circuitBreakerStats()).toMatchObject({ state: 'closed', opens: 2 });
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('sends no background index sweep to Redis while it is open, and sweeps again once closed', async () => {
    const proxy = await FaultProxy.start(server.port);
    try {
      const store = storeOf('breaker-sweep', {
        host: LOOPBACK,
        port: proxy.port,
        sweepInterval: 0.1,
        circuitBreaker: { failures: 3, duration: 1 },
      });
      await store.connect();
      const sweeps = ['EVALSHA', 'EVAL'].map((command) =>
        proxy.inject({ command, times: 1_000_000, action: () => undefined }),
      );
      const swept = (): number => sweeps.reduce((sum, rule) => sum + rule.count(), 0);
      await waitUntil(() => swept() > 0, 5000, 'a first background sweep');
      proxy.stallAll();
      expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      expect(store.circuitBreakerStats()?.state).toBe('open');
      proxy.heal();
      const whileOpen = swept();
      // Redis answers again, but the breaker stays open for its duration: about 10 sweep ticks.
      await untilHalfOpen(store);
      expect(swept()).toBe(whileOpen);
      expect((await settle(() => store.exists('probe'))).outcome).toBe('ok');
      await waitUntil(() => swept() > whileOpen, 5000, 'sweeps to resume once closed');
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('a probe of several steps that succeeds after its limit still closes it', async () => {
    // The reply delays below are set against a 1 s timeout.
    const timeoutS = 1;
    const proxy = await FaultProxy.start(server.port);
    try {
      const keyPrefix = uniquePrefix('breaker-long-probe');
      const store = storeOf('breaker-long-probe', {
        host: LOOPBACK,
        port: proxy.port,
        keyPrefix,
        timeout: timeoutS,
        circuitBreaker: { failures: 3, duration: 0.5 },
      });
      await store.connect();
      // clear() deletes 2,000 entries per call to Redis: five calls in a row. Written straight to
      // Redis by another store of the same prefix: 9,000 entries through the proxy can take
      // longer than the 1 s timeout on a loaded machine, and would open the breaker first.
      const filler = storeOf('breaker-long-probe-fill', { keyPrefix, timeout: 10 });
      await filler.putMany(Array.from({ length: 9000 }, (_, i) => [`k${i}`, i] as const));
      proxy.stallAll();
      expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      proxy.heal();
      await untilHalfOpen(store);
      // Each reply 700 ms late: every step answers within the 1 s timeout, the whole clear()
      // takes about 3.5 s, past the probe's limit of twice the timeout.
      for (const connection of proxy.connections) connection.delay('toClient', 700);
      const probing = settle(() => store.clear());
      await waitUntil(
        () => store.circuitBreakerStats()?.retryInMs === 0,
        10_000,
        "the probe's limit to pass",
      );
      // The next call finds the probe past its limit: the breaker opens again and refuses it.
      expect((await settle(() => store.get('during'))).outcome).toBe('CIRCUIT_OPEN');
      const probe = await probing;
      for (const connection of proxy.connections) connection.delay('toClient', 0);
      expect(probe.outcome).toBe('ok');
      expect(probe.ms).toBeGreaterThan(2 * timeoutS * 1000);
      expect(store.circuitBreakerStats()?.state).toBe('closed');
      expect((await settle(() => store.get('k1'))).outcome).toBe('ok');
    } finally {
      await proxy.close();
    }
  }, 30_000);

  it('never opens for WRONGTYPE, NOPERM, a value that is not a number or bad input', async () => {
    await redisCli(
      server.port,
      'ACL',
      'SETUSER',
      'breaker-no-pttl',
      'on',
      '>breaker-pw',
      '~*',
      '+@all',
      '-pttl',
    );
    const prefix = uniquePrefix('breaker-kinds');
    const store = storeOf('breaker-kinds', {
      keyPrefix: prefix,
      username: 'breaker-no-pttl',
      password: 'breaker-pw',
      circuitBreaker: { failures: 1, duration: 5 },
    });
    await store.connect();
    await redisCli(server.port, 'RPUSH', `${prefix}list`, 'x');
    await store.put('text', 'not a number');

    const outcomes = [
      await settle(() => store.get('list')), // WRONGTYPE: the key holds another Redis type
      await settle(() => store.increment('list')),
      await settle(() => store.ttl('text')), // NOPERM
      await settle(() => store.increment('text')),
      await settle(() => store.get('')),
      await settle(() => store.put('bad', undefined)),
    ].map((r) => r.outcome);
    expect(outcomes).toEqual([
      'DESERIALIZATION',
      'DESERIALIZATION',
      'COMMAND',
      'NOT_A_NUMBER',
      'INVALID_ARGUMENT',
      'SERIALIZATION',
    ]);
    await expect(store.ttl('text')).rejects.toThrow(/NOPERM/);
    expect(store.circuitBreakerStats()).toMatchObject({ state: 'closed', opens: 0, refused: 0 });
    expect(await store.get('text')).toBe('not a number');
  }, 30_000);

  it('serves near-cache hits while open on the data connection, and refuses misses and leases at once', async () => {
    const proxy = await FaultProxy.start(server.port);
    try {
      const store = storeOf('breaker-near', {
        host: LOOPBACK,
        port: proxy.port,
        nearCache: { maxEntries: 100 },
        circuitBreaker: { failures: 3, duration: 5 },
      });
      await store.connect();
      await store.put('held', 'value');
      await waitUntil(
        async () => (await store.getStats()).nearCache?.active === true,
        5000,
        'the near cache to be active',
      );
      expect(await store.get('held')).toBe('value');
      expect(await store.get('held')).toBe('value'); // now a hit

      // Only the data connection stalls: the invalidation link stays up, so the copy stays coherent.
      for (const connection of proxy.named(/^nestjs-kv-store$/)) connection.stall();
      expect(await threeTimeouts(store)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      expect(store.circuitBreakerStats()?.state).toBe('open');

      const hit = await settle(() => store.get('held'));
      expect(hit).toMatchObject({ outcome: 'ok' });
      expect(await store.get('held')).toBe('value');
      expect((await settle(() => store.get('missing'))).outcome).toBe('CIRCUIT_OPEN');
      // Refused, not "held by another": @Cached's single-flight then runs the method itself.
      const lease = await settle(() => store.tryLease('lease', 'token', 1000));
      expect(lease.outcome).toBe('CIRCUIT_OPEN');
      expect(lease.ms).toBeLessThanOrEqual(50);
    } finally {
      proxy.heal();
      await proxy.close();
    }
  }, 30_000);

  it('the health indicator reports the store down with the message of the open breaker', async () => {
    const store = storeOf('breaker-health', { circuitBreaker: { failures: 3, duration: 30 } });
    await store.connect();
    const moduleRef = await Test.createTestingModule({
      imports: [KvStoreModule.forRoot({ store, waitForConnection: false })],
    }).compile();
    try {
      const health = moduleRef.get(KvStoreHealthIndicator);
      expect((await health.isHealthy('kv')).kv.status).toBe('up');
      pause(server);
      await threeTimeouts(store);
      const { kv } = await health.isHealthy('kv');
      expect(kv).toMatchObject({ status: 'down', backend: 'redis' });
      expect(kv.message).toMatch(/circuit breaker of Redis at .* is open/);
    } finally {
      await moduleRef.close();
    }
  }, 30_000);

  it('a durable write whose replica does not confirm in time does not count: Redis applied it', async () => {
    const replica = await startRedis({ args: ['--replicaof', LOOPBACK, String(server.port)] });
    try {
      await waitUntil(
        async () => /state=online/.test(await redisCli(server.port, 'info', 'replication')),
        20_000,
        'the replica to finish its initial sync',
      );
      const store = storeOf('breaker-durable', {
        timeout: 3,
        durability: { replicas: 1, timeout: 1 },
        circuitBreaker: { failures: 1, duration: 5 },
      });
      await store.put('k', 'confirmed');
      pause(replica);
      const unconfirmed = await store.put('k', 'applied').catch((error: unknown) => error);
      expect(outcomeOf(unconfirmed)).toBe('TIMEOUT');
      expect((unconfirmed as Error).message).toMatch(
        /on 0 of 1 replicas within 1 s \(durability\)/,
      );
      expect(store.circuitBreakerStats()).toMatchObject({ state: 'closed', opens: 0 });
      expect(await store.get('k')).toBe('applied');
    } finally {
      resume(replica);
      await replica.stop();
    }
  }, 30_000);

  it.each([
    ['yes', /^circuitBreaker must be true, false or an object/],
    [{ failures: 0 }, /^circuitBreaker\.failures must be a positive integer; got 0/],
    [{ failures: 2.5 }, /^circuitBreaker\.failures must be a positive integer/],
    [{ duration: -1 }, /^circuitBreaker\.duration must be a positive number of seconds/],
    [{ window: 'ten' }, /^circuitBreaker\.window must be a positive number of seconds/],
    [{ limit: 3 }, /^circuitBreaker options has an unknown option "limit"/],
  ])(
    'circuitBreaker %p is refused with InvalidOptionsError naming it',
    (circuitBreaker, message) => {
      const create = (): unknown =>
        createStore({ type: 'redis', port: 1, circuitBreaker } as unknown as Parameters<
          typeof createStore
        >[0]);
      expect(create).toThrow(InvalidOptionsError);
      expect(create).toThrow(message);
    },
  );

  it('reads the breaker from the environment, and refuses its settings without KV_REDIS_CIRCUIT_BREAKER=true', () => {
    const url = 'redis://127.0.0.1:1';
    const breakerOf = (env: Record<string, string>): unknown =>
      (kvStoreOptionsFromEnv(env) as { circuitBreaker?: unknown }).circuitBreaker;
    expect(breakerOf({ KV_REDIS_URL: url })).toBeUndefined();
    expect(breakerOf({ KV_REDIS_URL: url, KV_REDIS_CIRCUIT_BREAKER: 'true' })).toBe(true);
    expect(
      breakerOf({
        KV_REDIS_URL: url,
        KV_REDIS_CIRCUIT_BREAKER: 'true',
        KV_REDIS_CIRCUIT_BREAKER_FAILURES: '3',
        KV_REDIS_CIRCUIT_BREAKER_DURATION: '0.5',
      }),
    ).toEqual({ failures: 3, duration: 0.5 });
    expect(() =>
      kvStoreOptionsFromEnv({ KV_REDIS_URL: url, KV_REDIS_CIRCUIT_BREAKER_DURATION: '2' }),
    ).toThrow(/KV_REDIS_CIRCUIT_BREAKER_DURATION needs KV_REDIS_CIRCUIT_BREAKER=true/);
    expect(() =>
      kvStoreOptionsFromEnv({ KV_REDIS_URL: url, KV_REDIS_CIRCUIT_BREAKER: 'on' }),
    ).toThrow(/KV_REDIS_CIRCUIT_BREAKER must be one of true, false/);
  });
});
