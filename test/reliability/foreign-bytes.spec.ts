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

/** A store with one good key, and `bytes` written under `key` (and indexed) by another client. */
async function storeWithForeignBytes(
  serializer: SerializerName,
  key: string,
  bytes: Buffer,
): Promise<RedisStore> {
  const prefix = uniquePrefix(`foreign-${serializer}`);
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: prefix,
    serializer,
  });
  stores.push(store);
  await store.put('a-good', 7);
  await admin.set(Buffer.from(prefix + key), bytes);
  await admin.zadd(indexKeyOf(prefix), 0, Buffer.from(key));
  return store;
}

async function rejection(operation: Promise<unknown>): Promise<unknown> {
  return operation.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)} instead of rejecting`),
    (error: unknown) => error,
  );
}

async function expectDecodingError(operation: Promise<unknown>, key: string): Promise<void> {
  const error = await rejection(operation);
  expect(error).toBeInstanceOf(DeserializationError);
  expect((error as DeserializationError).key).toBe(key);
  expect((error as Error).message).toContain(JSON.stringify(key));
}

const foreign: Array<[SerializerName, string, Buffer, RegExp]> = [
  [
    'json',
    'a JSON string holding bytes that are not UTF-8',
    Buffer.from([0x22, 0xff, 0xfe, 0x22]),
    /UTF-8/,
  ],
  [
    'json',
    'a lone UTF-16 surrogate encoded as bytes',
    Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]),
    /UTF-8/,
  ],
  ['rich', 'hexadecimal text 0x1F', Buffer.from('0x1F'), /decimal number/],
  ['rich', 'a number padded with spaces', Buffer.from('  12  '), /decimal number/],
  ['rich', 'a number beyond the double range, 1e400', Buffer.from('1e400'), /finite/],
  ['rich', 'binary notation 0b101', Buffer.from('0b101'), /decimal number/],
  ['rich', 'Infinity spelled out', Buffer.from('Infinity'), /decimal number/],
  ['rich', 'a number with a leading plus sign', Buffer.from('+5'), /decimal number/],
];

describe('bytes another client wrote that decode without error but are not what the serializer writes', () => {
  it.each(foreign)(
    '%s: %s makes get, getMany, rangeGet and iterate reject with a DeserializationError naming the key',
    async (serializer, _label, bytes, reason) => {
      const key = 'm-foreign';
      const store = await storeWithForeignBytes(serializer, key, bytes);
      const error = await rejection(store.get(key));
      expect(error).toBeInstanceOf(DeserializationError);
      expect((error as Error).message).toMatch(reason);
      await expectDecodingError(store.get(key), key);
      await expectDecodingError(store.getMany(['a-good', key]), key);
      await expectDecodingError(store.rangeGet(''), key);
      await expectDecodingError(
        (async () => {
          for await (const entry of store.iterate('m')) void entry;
        })(),
        key,
      );
      expect(await store.get('a-good')).toBe(7);
    },
  );

  it.each([
    ['rich', 'what the rich serializer writes for numbers', ['42', '-0.5', '1e+21', '5e-324']],
    ['rich', 'what Redis INCRBYFLOAT writes', ['0.3', '100000000000000000000', '0']],
    ['rich', 'what a %.17g formatter writes', ['0.30000000000000004', '1.0000000000000001e-18']],
    ['json', 'valid UTF-8 text of every plane', ['"é 中 😀 \uFFFD"']],
  ] as const)('%s still reads %s', async (serializer, _label, texts) => {
    for (const text of texts) {
      const store = await storeWithForeignBytes(serializer, 'k', Buffer.from(text));
      const expected: unknown = serializer === 'rich' ? Number(text) : JSON.parse(text);
      expect(await store.get('k')).toEqual(expected);
      expect(await store.rangeGet('k')).toEqual([['k', expected]]);
    }
  });
});
