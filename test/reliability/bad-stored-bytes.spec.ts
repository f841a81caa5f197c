import { Redis } from 'ioredis';
import { serialize as v8Serialize } from 'node:v8';
import { DeserializationError, RedisStore, type SerializerName } from '../../lib/index.js';
import { watchUnhandledRejections } from '../support/redis-faults.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import { sharedStandalone, type SharedServer } from '../support/shared-redis/shared-servers.js';

/** The standalone index of a prefix (lib/redis/index/key-layout.ts): prefix, byte 0xFF, "kv-index". */
function indexKeyOf(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.from([0xff]), Buffer.from('kv-index')]);
}

let server: SharedServer;
let admin: Redis;

beforeAll(async () => {
  server = sharedStandalone();
  admin = new Redis({ host: LOOPBACK, port: server.port, lazyConnect: true });
  await admin.connect();
});

afterAll(async () => {
  await admin?.quit();
});

/** A store with two good keys, and `bytes` written by another client under `bad` and indexed. */
async function storeWithForeignBytes(
  serializer: SerializerName,
  bad: string,
  bytes: Buffer,
): Promise<RedisStore> {
  const prefix = uniquePrefix(`bad-${serializer}`);
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: prefix,
    serializer,
    timeout: 1,
  });
  await store.putMany([
    ['a-good', { ok: 1 }],
    ['z-good', { ok: 2 }],
  ]);
  await admin.set(Buffer.from(prefix + bad), bytes);
  await admin.zadd(indexKeyOf(prefix), 0, Buffer.from(bad));
  return store;
}

async function expectDecodingError(operation: Promise<unknown>, key: string): Promise<void> {
  const error = await operation.then(
    () => new Error('resolved instead of rejecting'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeserializationError);
  expect((error as DeserializationError).key).toBe(key);
  expect((error as DeserializationError).code).toBe('DESERIALIZATION');
  expect((error as Error).message).toContain(JSON.stringify(key));
}

async function drain(iterator: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const entry of iterator) if (entry) n++;
  return n;
}

const undecodable: Record<SerializerName, Array<[string, Buffer]>> = {
  json: [
    ['truncated JSON', Buffer.from('{"a": 1')],
    ['bare text', Buffer.from('hello world')],
    ['empty value', Buffer.alloc(0)],
    ['binary bytes', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
    ['structured-clone bytes', v8Serialize({ a: 1 })],
  ],
  rich: [
    ['the version tag alone', Buffer.from([0xff])],
    ['a version with nothing after it', Buffer.from([0xff, 0x0f])],
    ['an object cut short', Buffer.from([0xff, 0x0f, 0x6f, 0x22, 0x01])],
    ['a string claiming 2 GB', Buffer.from([0xff, 0x0f, 0x22, 0xff, 0xff, 0xff, 0xff, 0x07, 0x41])],
    ['an unknown host object', Buffer.from([0xff, 0x0f, 0x5c, 0x63, 0x01, 0x02])],
    ['a host object cut short', Buffer.from([0xff, 0x0f, 0x5c, 0x09, 0xff, 0xff, 0xff, 0x0f])],
    ['text that is not a number', Buffer.from('not a number')],
    ['an empty value', Buffer.alloc(0)],
  ],
  pickle: [],
};

describe.each(['json', 'rich'] as const)(
  'bytes another client wrote that the %s serializer cannot decode',
  (serializer) => {
    it.each(undecodable[serializer])(
      '%s: get, getMany, rangeGet and iterate reject with a DeserializationError naming the key; the good keys stay readable',
      async (_label, bytes) => {
        const watch = watchUnhandledRejections();
        const bad = 'm-foreign';
        const store = await storeWithForeignBytes(serializer, bad, bytes);
        try {
          await expectDecodingError(store.get(bad), bad);
          await expectDecodingError(store.getMany(['a-good', bad]), bad);
          await expectDecodingError(store.rangeGet(''), bad);
          await expectDecodingError(store.rangeGet('m'), bad);
          await expectDecodingError(drain(store.iterate('', undefined, { batchSize: 1 })), bad);
          // Documented: the error stops the walk; keys outside the bad one's range are unaffected.
          expect(await store.rangeGet('a')).toEqual([['a-good', { ok: 1 }]]);
          expect(await store.get('z-good')).toEqual({ ok: 2 });
          expect(await store.exists(bad)).toBe(true);
          // The bad entry can be replaced or removed through the store.
          expect(await store.delete(bad)).toBe(true);
          expect(await store.rangeGet('')).toHaveLength(2);
          expect(watch.rejections).toEqual([]);
        } finally {
          await store.clear();
          await store.close();
          watch.stop();
        }
      },
    );
  },
);

/** Counts every time code of this class runs after construction. */
let sideEffects = 0;

/**
 * True when `value` is a plain object: its prototype is some realm's Object.prototype (node:v8
 * decodes into Node's main realm, not Jest's test realm) and nothing was added to that prototype.
 */
function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return (
    proto !== null &&
    Object.getPrototypeOf(proto) === null &&
    Object.keys(proto).length === 0 &&
    !('polluted' in proto)
  );
}

/** The built-in class of a value whichever realm created it (`'Map'`, `'Error'`...). */
function builtinTag(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

class Booby {
  payload = 'data';

  constructor() {
    sideEffects++;
  }

  get trap(): string {
    sideEffects++;
    return 'sprung';
  }

  toJSON(): string {
    sideEffects++;
    return 'called';
  }

  then(resolve: (value: string) => void): void {
    sideEffects++;
    resolve('thenable called');
  }
}

describe('the rich serializer decodes crafted but valid structured-clone bytes as inert data', () => {
  const cases: Array<[string, () => Buffer, (value: unknown) => void]> = [
    [
      'an instance of a class with a constructor, a getter, toJSON and then',
      () => v8Serialize(new Booby()),
      (value) => {
        expect(value).toEqual({ payload: 'data' });
        expect(isPlainObject(value)).toBe(true);
      },
    ],
    [
      'an object whose keys name toJSON, then, constructor and valueOf (as strings)',
      () =>
        v8Serialize({
          toJSON: 'globalThis.pwned = 1',
          then: 'process.exit(1)',
          constructor: 'Function',
          valueOf: 'x',
        }),
      (value) => {
        expect(value).toMatchObject({ then: 'process.exit(1)', constructor: 'Function' });
        expect(JSON.stringify(value)).toContain('globalThis.pwned = 1');
      },
    ],
    [
      'an own __proto__ key (prototype pollution attempt)',
      () => v8Serialize(JSON.parse('{"__proto__": {"polluted": true}, "x": 1}')),
      (value) => {
        expect(isPlainObject(value)).toBe(true);
        expect(Object.keys(value as object)).toEqual(['__proto__', 'x']);
        expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      },
    ],
    [
      'an Error carrying a message and a stack',
      () => v8Serialize(new Error('stored error')),
      (value) => {
        expect(builtinTag(value)).toBe('Error');
        expect((value as Error).message).toBe('stored error');
      },
    ],
    [
      'a Map whose keys are objects, and a RegExp',
      () => v8Serialize(new Map<unknown, unknown>([[{ k: 1 }, /a+$/]])),
      (value) => {
        expect(builtinTag(value)).toBe('Map');
        const [[key, pattern]] = [...(value as Map<unknown, unknown>)] as [[unknown, unknown]];
        expect(isPlainObject(key)).toBe(true);
        expect(builtinTag(pattern)).toBe('RegExp');
        expect(String(pattern)).toBe('/a+$/');
      },
    ],
  ];

  it.each(cases)(
    '%s: no code runs, nothing is polluted, the value is plain data',
    async (_label, bytes, check) => {
      const encoded = bytes();
      sideEffects = 0;
      const globals = Object.keys(globalThis).length;
      const bad = 'crafted';
      const store = await storeWithForeignBytes('rich', bad, encoded);
      try {
        const value = await store.get(bad);
        const [, ranged] = (await store.rangeGet(bad))[0] ?? [];
        check(value);
        check(ranged);
        expect(typeof (value as { then?: unknown }).then).not.toBe('function');
        expect(sideEffects).toBe(0);
        expect(Object.keys(globalThis)).toHaveLength(globals);
        expect(Object.keys(Object.prototype)).toEqual([]);
      } finally {
        await store.clear();
        await store.close();
      }
    },
  );
});

describe('the json serializer decodes hostile-looking JSON as inert data', () => {
  it('an own __proto__ key does not pollute Object.prototype', async () => {
    const store = await storeWithForeignBytes(
      'json',
      'proto',
      Buffer.from('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}'),
    );
    try {
      const value = await store.get<Record<string, unknown>>('proto');
      expect(isPlainObject(value)).toBe(true);
      expect(Object.keys(value as object)).toEqual(['__proto__', 'constructor']);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      expect(Object.keys(Object.prototype)).toEqual([]);
    } finally {
      await store.clear();
      await store.close();
    }
  });
});
