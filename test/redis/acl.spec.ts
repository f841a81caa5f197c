import { inspect } from 'node:util';
import {
  CommandError,
  ConnectionError,
  RedisStore,
  type RedisStoreOptions,
} from '../../lib/index.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import {
  LOOPBACK,
  redisCli,
  startRedis,
  uniquePrefix,
  type RedisProcess,
} from '../support/redis-harness.js';
import { standaloneStore } from '../support/redis-stores.js';

const ADMIN_PASSWORD = 'admin-pw-7f3a';
const APP_PASSWORD = 'app-pw-91c2';

let server: RedisProcess;

beforeAll(async () => {
  server = await startRedis({ args: ['--requirepass', ADMIN_PASSWORD] });
  // The application user may only touch kvtest:* keys and no dangerous command except INFO
  // (ioredis' ready check and getStats read it).
  await redisCli(
    server.port,
    '--no-auth-warning',
    '-a',
    ADMIN_PASSWORD,
    'ACL',
    'SETUSER',
    'app',
    'on',
    `>${APP_PASSWORD}`,
    '~kvtest:*',
    '+@all',
    '-@dangerous',
    '+info',
  );
});

afterAll(async () => {
  await server?.stop();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  return standaloneStore(server, 'acl', { username: 'app', password: APP_PASSWORD, ...options });
}

runKvStoreConformance('redis with an ACL user of limited rights', (options) => open(options));

describe('Redis password and ACL', () => {
  it('works with the default user’s password given in a url, with a db', async () => {
    const store = new RedisStore({
      url: `redis://:${ADMIN_PASSWORD}@${LOOPBACK}:${server.port}/2`,
      keyPrefix: uniquePrefix('url'),
    });
    try {
      await store.put('k', 'v');
      expect(await store.get('k')).toBe('v');
      expect(
        await redisCli(server.port, '--no-auth-warning', '-a', ADMIN_PASSWORD, '-n', '2', 'dbsize'),
      ).toBe('2\n');
      await store.clear();
    } finally {
      await store.close();
    }
  });

  it('a wrong password fails with a clear ConnectionError that does not contain the password', async () => {
    const wrong = 'definitely-wrong-pw';
    const store = open({ password: wrong, timeout: 2 });
    try {
      const started = Date.now();
      const error = await store.get('k').catch((e: unknown) => e as Error);
      // Within the 2 s timeout, plus 2 s for scheduling on a loaded machine.
      expect(Date.now() - started).toBeLessThan(4000);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/refused the credentials|WRONGPASS/);
      expect((error as Error).message).toContain(`${LOOPBACK}:${server.port}`);
      expect(inspect(error, { depth: 10 })).not.toContain(wrong);
      await expect(store.connect()).rejects.toThrow(/WRONGPASS|credentials/);
    } finally {
      await store.close();
    }
  });

  it('no password for a server that needs one says a password is required, not that it was refused', async () => {
    const store = open({ password: undefined, username: undefined, timeout: 2 });
    try {
      const error = await store.get('k').catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/requires a password and none was given.*NOAUTH/);
    } finally {
      await store.close();
    }
  });

  it('a key outside the user’s key pattern is refused with a CommandError', async () => {
    const store = open({ keyPrefix: 'forbidden:' });
    try {
      const error = await store.put('k', 1).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(CommandError);
      expect((error as Error).message).toMatch(/NOPERM/);
    } finally {
      await store.close();
    }
  });
});
