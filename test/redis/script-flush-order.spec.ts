import { Redis } from 'ioredis';
import { CommandError, RedisStore } from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

// A write sent as a script call meets NOSCRIPT once Redis forgot the script, and used to be sent
// again after the writes issued behind it had run (a transaction runs at once): the older value
// won, or a deleted key came back. Each case runs several times; without the fix each failed on
// every repetition.

let server: RedisProcess;
let admin: Redis;
const stores: RedisStore[] = [];
const REPETITIONS = 5;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis({ host: LOOPBACK, port: server.port });
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin?.quit();
  await server?.stop();
});

function openStore(): RedisStore {
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('script-flush'),
    timeout: 5,
  });
  stores.push(store);
  return store;
}

/**
 * Runs each write script of `store` once, then makes Redis forget them: the store's next script
 * calls go out by SHA1 (EVALSHA) and meet NOSCRIPT. (A call that failed so is not sent again, and
 * the store sends that script in full next time, which cannot fail: hence once per repetition.)
 */
async function forgetScripts(store: RedisStore): Promise<void> {
  await store.put('warm', 0);
  await store.putIfAbsent('warm:absent', 0);
  await store.increment('warm:count');
  await store.delete('warm:absent');
  await store.deleteMany(['warm:count']);
  await admin.script('FLUSH');
}

/** Expects `outcome` to be the rejection of a write the store did not apply, naming `key`. */
function expectNotApplied(outcome: PromiseSettledResult<unknown>, key: string): void {
  expect(outcome.status).toBe('rejected');
  const reason = (outcome as PromiseRejectedResult).reason as unknown;
  expect(reason).toBeInstanceOf(CommandError);
  expect((reason as CommandError).code).toBe('COMMAND');
  expect((reason as CommandError).message).toContain(`key "${key}" was not applied`);
}

describe('writes of one key after Redis forgot the store scripts (SCRIPT FLUSH)', () => {
  it('two puts of one key issued together leave the later value; the earlier one reports it was not applied', async () => {
    const store = openStore();
    for (let i = 0; i < REPETITIONS; i++) {
      await forgetScripts(store);
      // The first put goes out at once as the put script; the next two are folded into one batch.
      const [older, newer, other] = await Promise.allSettled([
        store.put('page', `old ${i}`),
        store.put('page', `new ${i}`),
        store.put('other', i),
      ]);
      expectNotApplied(older, 'page');
      expect([newer.status, other.status]).toEqual(['fulfilled', 'fulfilled']);
      expect(await store.get('page')).toBe(`new ${i}`);
    }
    expect((await store.rangeGet('')).map(([key]) => key)).toEqual(['other', 'page', 'warm']);
  });

  it('a put issued right after a delete of the same key keeps its value', async () => {
    const store = openStore();
    for (let i = 0; i < REPETITIONS; i++) {
      await store.put('session', 'stale');
      await forgetScripts(store);
      const [removed] = await Promise.allSettled([
        store.delete('session'),
        store.put('first', i),
        store.put('session', `fresh ${i}`),
        store.put('last', i),
      ]);
      expectNotApplied(removed, 'session');
      expect(await store.get('session')).toBe(`fresh ${i}`);
    }
  });

  it('a put issued right after an increment of the same key keeps its value', async () => {
    const store = openStore();
    for (let i = 0; i < REPETITIONS; i++) {
      await forgetScripts(store);
      const [incremented] = await Promise.allSettled([
        store.increment('hits'),
        store.put('first', i),
        store.put('hits', 100 * i),
        store.put('last', i),
      ]);
      expectNotApplied(incremented, 'hits');
      expect(await store.get('hits')).toBe(100 * i);
    }
  });

  it('a putMany issued right after a put of the same key leaves the putMany value', async () => {
    const store = openStore();
    for (let i = 0; i < REPETITIONS; i++) {
      await forgetScripts(store);
      const [older, batch] = await Promise.allSettled([
        store.put('frontier', `old ${i}`),
        store.putMany([
          ['frontier', `new ${i}`],
          ['seen', i],
        ]),
      ]);
      expectNotApplied(older, 'frontier');
      expect(batch.status).toBe('fulfilled');
      expect(await store.get('frontier')).toBe(`new ${i}`);
    }
  });

  it('puts issued while a clear runs are kept, and the clear reports it was not applied', async () => {
    const store = openStore();
    for (let i = 0; i < REPETITIONS; i++) {
      await store.clear();
      await forgetScripts(store);
      const [cleared, ...puts] = await Promise.allSettled([
        store.clear(),
        store.put('a', i),
        store.put('b', i),
        store.put('c', i),
      ]);
      expect(cleared.status).toBe('rejected');
      expect(((cleared as PromiseRejectedResult).reason as Error).message).toMatch(
        /^the clear was not applied/,
      );
      expect(puts.map((put) => put.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(await store.getMany(['a', 'b', 'c'])).toEqual([i, i, i]);
    }
  });

  it('a write that nothing issued after it overtook is sent again and applied', async () => {
    const store = openStore();
    await store.put('gone', 1);
    const cases: Array<[string, () => Promise<unknown>, unknown]> = [
      ['putIfAbsent', () => store.putIfAbsent('new', 1), true],
      ['increment', () => store.increment('count', 5), 5],
      ['delete', () => store.delete('gone'), true],
      ['deleteMany', () => store.deleteMany(['new']), 1],
      ['put', () => store.put('page', 'v'), undefined],
    ];
    for (const [, write, result] of cases) {
      await forgetScripts(store);
      expect(await write()).toEqual(result);
    }
    expect(await store.getMany(['new', 'count', 'gone', 'page'])).toEqual([
      undefined,
      5,
      undefined,
      'v',
    ]);
  });
});
