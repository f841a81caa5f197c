import fc from 'fast-check';
import { RedisStore } from '../../../lib/index.js';
import { assertBuiltCli } from '../../cli/run-cli-process.js';
import {
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../../support/redis-harness.js';
import { startPeer, type PeerStore } from './support/peer-process.js';
import {
  STALENESS_WINDOW_MS,
  expectFreshWithinWindow,
  nearStats,
  waitUntilTracking,
} from './support/near-cache-helpers.js';

// Two application instances: this process (A) and a peer Node process (B) on the built package,
// both with the near cache, on one Redis.
let server: RedisProcess;
let prefix: string;
let a: RedisStore;
let b: PeerStore;

beforeAll(async () => {
  await assertBuiltCli();
  server = await startRedis();
  prefix = uniquePrefix('near-procs');
  const options = {
    host: LOOPBACK,
    port: server.port,
    keyPrefix: prefix,
    timeout: 5,
    nearCache: { maxEntries: 1000 },
  };
  a = new RedisStore(options);
  b = await startPeer(options);
  await waitUntilTracking(a);
  await waitUntil(
    async () => ((await b.call('nearStats')) as { active: boolean }).active,
    10_000,
    'the peer to establish tracking',
  );
}, 30_000);

afterAll(async () => {
  await b?.stop();
  await a?.close();
  await server?.stop();
});

describe('Redis near cache across processes', () => {
  it('once a write in another process completed, the old value is gone within the staleness window', async () => {
    await a.put('flag', 0);
    let slowest = 0;
    for (let round = 1; round <= 30; round++) {
      await a.get('flag');
      expect(await a.get('flag')).toBe(round - 1);
      await b.call('put', 'flag', round);
      slowest = Math.max(
        slowest,
        await expectFreshWithinWindow(a, 'flag', round, performance.now()),
      );
    }
    expect((await nearStats(a)).hits).toBeGreaterThanOrEqual(30);
    expect(slowest).toBeLessThan(STALENESS_WINDOW_MS);
  });

  it('the other process sees this one’s writes too, within the staleness window', async () => {
    await a.put('limit', 0);
    for (let round = 1; round <= 10; round++) {
      await b.call('get', 'limit');
      expect(await b.call('get', 'limit')).toBe(round - 1);
      await a.put('limit', round);
      const writtenAt = performance.now();
      for (;;) {
        const seen = await b.call('get', 'limit');
        const elapsed = performance.now() - writtenAt;
        if (seen === round) break;
        if (elapsed > STALENESS_WINDOW_MS)
          throw new Error(`peer served ${seen} after ${elapsed} ms`);
      }
    }
    expect(((await b.call('nearStats')) as { hits: number }).hits).toBeGreaterThanOrEqual(10);
  });

  it('random operations from both processes only ever read values the staleness window allows', async () => {
    const KEYS = ['k0', 'k1', 'k2'];
    const key = fc.constantFrom(...KEYS);
    const actor = fc.constantFrom<'A' | 'B'>('A', 'B');
    const operation = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), actor, key }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('put' as const),
          actor,
          key,
          value: fc.integer({ min: 0, max: 1000 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), actor, key }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('increment' as const),
          actor,
          key,
          value: fc.integer({ min: 1, max: 5 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('putIfAbsent' as const),
          actor,
          key,
          value: fc.integer({ min: 0, max: 1000 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('putMany' as const),
          actor,
          value: fc.integer({ min: 0, max: 1000 }),
        }),
      },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 25 }), async (ops) => {
        await a.clear();
        // The model: each key's current value, who wrote it last, and when each older value
        // stopped being current (performance.now() of the completion of the write replacing it).
        const current = new Map<string, number | undefined>();
        const lastWriter = new Map<string, 'A' | 'B'>();
        const replacedAt = new Map<string, Map<number | undefined, number>>();
        const write = (k: string, value: number | undefined, by: 'A' | 'B'): void => {
          const before = current.get(k);
          if (before !== value) {
            let history = replacedAt.get(k);
            if (!history) replacedAt.set(k, (history = new Map()));
            history.set(before, performance.now());
            history.delete(value);
          }
          current.set(k, value);
          lastWriter.set(k, by);
        };
        const run = (who: 'A' | 'B', op: string, ...args: unknown[]): Promise<unknown> =>
          who === 'A'
            ? (a as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[op]!.apply(
                a,
                args,
              )
            : b.call(op, ...args);

        for (const op of ops) {
          if (op.kind === 'get') {
            const startedAt = performance.now();
            const seen = ((await run(op.actor, 'get', op.key)) ?? undefined) as number | undefined;
            const expected = current.get(op.key);
            if (seen === expected) continue;
            // Own writes are read back exactly; others' within the window.
            if (lastWriter.get(op.key) === op.actor) {
              throw new Error(
                `${op.actor} read ${op.key}=${seen} after writing ${expected} itself`,
              );
            }
            const replaced = replacedAt.get(op.key)?.get(seen);
            if (replaced === undefined || startedAt - replaced > STALENESS_WINDOW_MS) {
              throw new Error(
                `${op.actor} read ${op.key}=${seen}, expected ${expected} (stale value replaced ${replaced === undefined ? 'never' : `${(startedAt - replaced).toFixed(1)} ms`} before)`,
              );
            }
          } else if (op.kind === 'put') {
            await run(op.actor, 'put', op.key, op.value);
            write(op.key, op.value, op.actor);
          } else if (op.kind === 'delete') {
            const removed = await run(op.actor, 'delete', op.key);
            expect(removed).toBe(current.get(op.key) !== undefined);
            write(op.key, undefined, op.actor);
          } else if (op.kind === 'increment') {
            const next = await run(op.actor, 'increment', op.key, op.value);
            expect(next).toBe((current.get(op.key) ?? 0) + op.value);
            write(op.key, next as number, op.actor);
          } else if (op.kind === 'putIfAbsent') {
            const stored = await run(op.actor, 'putIfAbsent', op.key, op.value);
            expect(stored).toBe(current.get(op.key) === undefined);
            if (stored) write(op.key, op.value, op.actor);
          } else {
            await run(op.actor, 'putMany', [
              ['k0', op.value],
              ['k1', op.value + 1],
            ]);
            write('k0', op.value, op.actor);
            write('k1', op.value + 1, op.actor);
          }
        }
      }),
      { numRuns: 25 },
    );
    expect((await nearStats(a)).hits).toBeGreaterThan(0);
  }, 120_000);
});
