import { Redis } from 'ioredis';
import {
  CommandError,
  MemoryStore,
  NotANumberError,
  RedisStore,
  type KvStore,
} from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

let server: RedisProcess;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis({ host: LOOPBACK, port: server.port, lazyConnect: true });
  await admin.connect();
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

/** Text another program may have left under a key: not plain decimal, or not finite. */
const FOREIGN_TEXTS = [
  '0x1F',
  '  12  ',
  '1e400',
  '-1e400',
  'inf',
  'nan',
  'Infinity',
  '+5',
  '1e',
  '.',
  '',
];

describe('increment on Redis: errors say what happened', () => {
  let store: RedisStore;
  let prefix: string;
  beforeEach(() => {
    prefix = uniquePrefix('increment');
    store = new RedisStore({ host: LOOPBACK, port: server.port, keyPrefix: prefix, timeout: 5 });
  });
  afterEach(async () => {
    await store.clear();
    await store.close();
  });

  it('when Redis is out of memory, increment rejects with the OOM CommandError, not NotANumberError', async () => {
    await store.put('n', 5);
    await admin.config('SET', 'maxmemory', '1');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    let failure: unknown;
    try {
      failure = await store.increment('n').then(
        () => undefined,
        (error: unknown) => error,
      );
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect(failure).toBeInstanceOf(CommandError);
    expect(failure).not.toBeInstanceOf(NotANumberError);
    expect(String(failure)).toMatch(/OOM/);
    expect(await store.get('n')).toBe(5);
  });

  it.each(FOREIGN_TEXTS)(
    'text %j written by another program is not a number: NotANumberError, left as it was',
    async (text) => {
      await admin.set(`${prefix}k`, text);
      await expect(store.increment('k')).rejects.toBeInstanceOf(NotANumberError);
      expect(await admin.get(`${prefix}k`)).toBe(text);
    },
  );
});

describe('increment on memory: the same texts are not numbers', () => {
  it.each(FOREIGN_TEXTS)('text %j stored by the rich serializer is not a number', async (text) => {
    const store: KvStore = new MemoryStore({ serializer: 'rich' });
    // The rich serializer keeps a Buffer as structured-clone bytes, so plant the text by hand.
    (store as unknown as { writeRaw(k: string, raw: Buffer, ttl: null): void }).writeRaw(
      'k',
      Buffer.from(text, 'latin1'),
      null,
    );
    await expect(store.increment('k')).rejects.toBeInstanceOf(NotANumberError);
    await store.close();
  });
});
