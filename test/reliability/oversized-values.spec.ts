import {
  DEFAULT_MAX_VALUE_BYTES,
  InvalidOptionsError,
  RedisStore,
  SerializationError,
  type SerializerName,
} from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

const MIB = 1024 * 1024;

let server: RedisProcess;
const stores: RedisStore[] = [];

beforeAll(async () => {
  // Redis' bulk limit lowered from 512 MB to 1 MB, so a value over it costs 2 MB, not 512 MB.
  server = await startRedis({ args: ['--proto-max-bulk-len', '1mb'] });
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});
afterAll(async () => {
  await server?.stop();
});

function open(options: { maxValueBytes?: number; serializer?: SerializerName } = {}): RedisStore {
  const store = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('oversized'),
    timeout: 5,
    ...options,
  });
  stores.push(store);
  return store;
}

async function rejection(operation: Promise<unknown>): Promise<Error> {
  return operation.then(
    () => new Error('resolved instead of rejecting'),
    (error: unknown) => error as Error,
  );
}

describe('maxValueBytes on Redis stores', () => {
  it('defaults to 64 MiB, below the 512 MB Redis accepts in one bulk string', () => {
    expect(DEFAULT_MAX_VALUE_BYTES).toBe(64 * MIB);
  });

  it.each(['json', 'rich'] as const)(
    'a value over the limit rejects that call only with a SerializationError naming the key; concurrent calls succeed (%s)',
    async (serializer) => {
      const store = open({ maxValueBytes: MIB, serializer });
      await store.put('existing', 'kept');
      const big = 'x'.repeat(2 * MIB);
      // Sent first: the calls after it share its connection, which Redis would drop.
      const oversized = store.put('big', big);
      const others = Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? store.put(`small:${i}`, { i }) : store.get('existing'),
      );
      const outcomes = await Promise.allSettled(others);
      const error = await rejection(oversized);

      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).key).toBe('big');
      expect(error.message).toMatch(/"big".*over maxValueBytes \(1048576\)/);
      expect(await store.exists('big')).toBe(false);
      // The connection survived: the store goes on answering.
      expect(await store.get('small:0')).toEqual({ i: 0 });
      expect(await store.get('existing')).toBe('kept');
    },
  );

  it('putMany with one value over the limit writes nothing', async () => {
    const store = open({ maxValueBytes: 1000 });
    const error = await rejection(
      store.putMany([
        ['a', 1],
        ['b', 'y'.repeat(2000)],
      ]),
    );
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).key).toBe('b');
    expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
  });

  it('counts bytes, not characters: multi-byte text is measured in UTF-8', async () => {
    const store = open({ maxValueBytes: 1000 });
    await store.put('ascii', 'a'.repeat(998)); // 1000 bytes with its JSON quotes
    expect(await store.get('ascii')).toHaveLength(998);
    const error = await rejection(store.put('euro', '€'.repeat(400))); // 1202 bytes
    expect(error).toBeInstanceOf(SerializationError);
  });

  it('a default store refuses a value over 64 MiB before sending it', async () => {
    const store = open();
    const error = await rejection(store.put('huge', 'z'.repeat(64 * MIB)));
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/over maxValueBytes \(67108864\)/);
    expect(await store.exists('huge')).toBe(false);
  });

  it.each([0, -1, 1.5, '10mb', Number.POSITIVE_INFINITY])(
    'rejects maxValueBytes %p with an InvalidOptionsError',
    (maxValueBytes) => {
      expect(
        () =>
          new RedisStore({
            host: LOOPBACK,
            port: server.port,
            maxValueBytes: maxValueBytes as number,
          }),
      ).toThrow(InvalidOptionsError);
    },
  );
});
