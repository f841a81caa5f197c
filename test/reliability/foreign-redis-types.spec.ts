import { Redis } from 'ioredis';
import { DeserializationError, RedisStore, type SerializerName } from '../../lib/index.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';

/** The standalone index of a prefix (lib/redis/index/key-layout.ts): prefix, byte 0xFF, "kv-index". */
function indexKeyOf(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.from([0xff]), Buffer.from('kv-index')]);
}

let server: SharedServer;
let admin: Redis;
const stores: RedisStore[] = [];

beforeAll(async () => {
  server = sharedStandalone();
  admin = new Redis({ host: LOOPBACK, port: server.port, lazyConnect: true });
  await admin.connect();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});
afterAll(async () => {
  await admin?.quit();
});

/** Writes a key of Redis type `type` at `name` as another application would. */
async function writeForeign(type: string, name: string): Promise<void> {
  switch (type) {
    case 'list':
      await admin.rpush(name, 'a', 'b');
      return;
    case 'hash':
      await admin.hset(name, 'field', 'value');
      return;
    case 'set':
      await admin.sadd(name, 'member');
      return;
    case 'zset':
      await admin.zadd(name, 1, 'member');
      return;
    case 'stream':
      await admin.xadd(name, '*', 'field', 'value');
      return;
    default:
      throw new Error(`unknown type ${type}`);
  }
}

/** A store with two good keys and a key of Redis type `type` under its prefix, indexed. */
async function storeWithForeignType(
  serializer: SerializerName,
  type: string,
  key: string,
): Promise<RedisStore> {
  const prefix = uniquePrefix(`types-${serializer}`);
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: prefix,
    serializer,
  });
  stores.push(store);
  await store.putMany([
    ['a-good', 1],
    ['z-good', 2],
  ]);
  await writeForeign(type, prefix + key);
  await admin.zadd(indexKeyOf(prefix), 0, key);
  return store;
}

async function rejection(operation: Promise<unknown>): Promise<Error> {
  return operation.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)} instead of rejecting`),
    (error: unknown) => error as Error,
  );
}

/** The documented error: a DeserializationError naming the key and the type, no Redis internals. */
async function expectForeignTypeError(
  operation: Promise<unknown>,
  key: string,
  type: string,
): Promise<void> {
  const error = await rejection(operation);
  expect(error).toBeInstanceOf(DeserializationError);
  expect((error as DeserializationError).key).toBe(key);
  expect(error.message).toContain(JSON.stringify(key));
  expect(error.message).toContain(`a Redis ${type}`);
  expect(error.message).not.toMatch(/[0-9a-f]{40}|WRONGTYPE|user_script|f_[0-9a-f]/);
}

async function drain(iterator: AsyncIterable<unknown>): Promise<void> {
  for await (const entry of iterator) void entry;
}

describe.each(['json', 'rich'] as const)(
  'a key of another Redis type under the prefix (%s serializer)',
  (serializer) => {
    it.each(['list', 'hash', 'set', 'zset', 'stream'])(
      'a %s: get, getMany, concurrent gets, rangeGet and iterate reject with a DeserializationError naming the key and its type',
      async (type) => {
        const key = 'm-foreign';
        const store = await storeWithForeignType(serializer, type, key);
        await expectForeignTypeError(store.get(key), key, type);
        await expectForeignTypeError(store.getMany(['a-good', key]), key, type);
        // Gets of one tick are folded into one command: only the foreign key's get fails.
        const [good, bad, other] = await Promise.allSettled([
          store.get('a-good'),
          store.get(key),
          store.get('z-good'),
        ]);
        expect(good).toEqual({ status: 'fulfilled', value: 1 });
        expect(other).toEqual({ status: 'fulfilled', value: 2 });
        await expectForeignTypeError(
          bad.status === 'rejected' ? Promise.reject(bad.reason) : Promise.resolve(bad.value),
          key,
          type,
        );
        await expectForeignTypeError(store.rangeGet(''), key, type);
        await expectForeignTypeError(store.rangeGet('m', 'n'), key, type);
        await expectForeignTypeError(
          drain(store.iterate('', undefined, { batchSize: 1 })),
          key,
          type,
        );
        // Keys outside its range, and the other operations, are unaffected.
        expect(await store.rangeGet('a')).toEqual([['a-good', 1]]);
        expect(await store.exists(key)).toBe(true);
      },
    );

    it.each(['list', 'hash'])(
      'a %s: increment rejects with the same DeserializationError as reads, and leaves the key as it was',
      async (type) => {
        const key = 'm-foreign';
        const store = await storeWithForeignType(serializer, type, key);
        await expectForeignTypeError(store.increment(key, 1), key, type);
        // Still the other program's key, untouched: a read still names its type.
        await expectForeignTypeError(store.get(key), key, type);
      },
    );

    it('getStats counts only the values this store can read, and reports the foreign keys apart', async () => {
      const store = await storeWithForeignType(serializer, 'list', 'm-foreign');
      const stats = await store.getStats();
      expect(stats.totalKeys).toBe(2);
      expect((stats as unknown as { foreignKeys: unknown }).foreignKeys).toBe(1);
    });

    it('delete removes the foreign key and put replaces it; reads then work again', async () => {
      const store = await storeWithForeignType(serializer, 'hash', 'm-foreign');
      expect(await store.delete('m-foreign')).toBe(true);
      expect(await store.get('m-foreign')).toBeUndefined();
      await writeForeign('list', `${(await store.getStats()).keyPrefix}m-2`);
      await store.put('m-2', 'mine');
      expect(await store.get('m-2')).toBe('mine');
      expect(await store.rangeGet('m')).toEqual([['m-2', 'mine']]);
      expect(((await store.getStats()) as unknown as { foreignKeys: unknown }).foreignKeys).toBe(0);
    });
  },
);
