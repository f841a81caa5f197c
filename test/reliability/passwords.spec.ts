import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { inspect } from 'node:util';
import {
  DeserializationError,
  ConnectionError,
  KvStore,
  KvStoreModule,
  RedisStore,
  TimeoutError,
  type KvStoreModuleOptions,
  type RedisStoreOptions,
} from '../../lib/index.js';
import {
  freePort,
  LOOPBACK,
  startRedis,
  uniquePrefix,
  waitUntil,
  type RedisProcess,
} from '../support/redis-harness.js';

// Distinctive so that any echo, whole or URL-encoded, is found.
const RIGHT = 'Right-Pw-7f3c#secret';
const WRONG = 'Wrong-Pw-91ad#secret';
const USER_PASSWORD = 'User-Pw-5e2b#secret';
const SECRETS = [RIGHT, WRONG, USER_PASSWORD];

/** Everything a user could print about a value: inspect() shows message, stack, cause chain and fields. */
function everythingAbout(value: unknown): string {
  const parts = [inspect(value, { depth: 10, showHidden: true })];
  if (value instanceof Error) {
    parts.push(String(value), value.message, value.stack ?? '', String(value.cause));
    if (value.cause instanceof Error) parts.push(inspect(value.cause, { depth: 10 }));
  }
  return parts.join('\n');
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
}

async function failureOf(operation: () => Promise<unknown>): Promise<unknown> {
  return operation().then(
    () => new Error('resolved instead of rejecting'),
    (error: unknown) => error,
  );
}

let server: RedisProcess;
let deadPort: number;

beforeAll(async () => {
  server = await startRedis({ args: ['--requirepass', RIGHT] });
  const admin = new Redis({ host: LOOPBACK, port: server.port, password: RIGHT });
  await admin.acl('SETUSER', 'app', 'on', `>${USER_PASSWORD}`, '~*', '+@all');
  admin.disconnect();
  deadPort = await freePort();
});

afterAll(async () => {
  await server?.stop();
});

describe('passwords never appear in errors', () => {
  const failing: Array<[string, () => RedisStoreOptions]> = [
    ['a wrong password', () => ({ host: LOOPBACK, port: server.port, password: WRONG })],
    [
      'a wrong password in a url',
      () => ({ url: `redis://:${encodeURIComponent(WRONG)}@${LOOPBACK}:${server.port}` }),
    ],
    [
      'an ACL user with a wrong password in a url',
      () => ({ url: `redis://app:${encodeURIComponent(WRONG)}@${LOOPBACK}:${server.port}/0` }),
    ],
    [
      'the right password, server unreachable',
      () => ({ host: LOOPBACK, port: deadPort, password: RIGHT }),
    ],
    [
      'a user and password in a url, server unreachable',
      () => ({ url: `redis://app:${encodeURIComponent(USER_PASSWORD)}@${LOOPBACK}:${deadPort}` }),
    ],
  ];

  it.each(failing)(
    '%s: connect() and every call fail with a ConnectionError free of the password',
    async (_label, options) => {
      const store = new RedisStore({ ...options(), keyPrefix: uniquePrefix('pw'), timeout: 1 });
      try {
        const errors = [
          await failureOf(() => store.connect()),
          await failureOf(() => store.get('k')),
          await failureOf(() => store.put('k', 1)),
          await failureOf(() => store.rangeGet('')),
          await failureOf(() => store.getStats()),
          await failureOf(() => store.ping()),
        ];
        for (const error of errors) {
          expect(error).toBeInstanceOf(ConnectionError);
          expectNoSecret(everythingAbout(error));
        }
      } finally {
        await store.close();
      }
    },
  );

  it('the right password: stats, command errors and timeouts are free of it', async () => {
    const prefix = uniquePrefix('pw-ok');
    const store = new RedisStore({
      host: LOOPBACK,
      port: server.port,
      password: RIGHT,
      keyPrefix: prefix,
      timeout: 1,
    });
    const admin = new Redis({ host: LOOPBACK, port: server.port, password: RIGHT });
    try {
      await store.put('k', 'v');
      expectNoSecret(JSON.stringify(await store.getStats()));

      // Another program put a hash where the store expects a string: the read names the key.
      await admin.hset(`${prefix}hash`, 'f', 'v');
      const refused = await failureOf(() => store.get('hash'));
      expect(refused).toBeInstanceOf(DeserializationError);
      expectNoSecret(everythingAbout(refused));

      // The server stops answering for longer than the timeout.
      const pause = new Redis({ host: LOOPBACK, port: server.port, password: RIGHT });
      await pause.client('PAUSE', 1500, 'ALL');
      const slow = await failureOf(() => store.get('k'));
      expect(slow).toBeInstanceOf(TimeoutError);
      expectNoSecret(everythingAbout(slow));
      pause.disconnect();
      await waitUntil(async () => (await store.get('k')) === 'v', 5000, 'the pause to end');
      await admin.del(`${prefix}hash`);
      await store.clear();
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});

/** A Nest logger that keeps every line. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push(
      `${level} ${[message, ...rest].map((part) => everythingAbout(part)).join(' ')}`,
    );
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }
}

describe('passwords never appear in Nest logs or boot errors', () => {
  const boots: Array<[string, () => KvStoreModuleOptions]> = [
    [
      'a wrong password',
      () => ({ type: 'redis', host: LOOPBACK, port: server.port, password: WRONG, timeout: 1 }),
    ],
    [
      'an unreachable password-protected Redis',
      () => ({ type: 'redis', host: LOOPBACK, port: deadPort, password: RIGHT, timeout: 1 }),
    ],
    [
      'an unreachable Redis given as a url with user and password',
      () => ({
        type: 'redis',
        url: `redis://app:${encodeURIComponent(USER_PASSWORD)}@${LOOPBACK}:${deadPort}`,
        timeout: 1,
      }),
    ],
  ];

  it.each(boots)(
    '%s: the failed boot’s error and log lines are free of it',
    async (_label, options) => {
      const logger = new CapturingLogger();
      const error = await failureOf(() =>
        Test.createTestingModule({ imports: [KvStoreModule.forRoot(options())] })
          .setLogger(logger)
          .compile(),
      );
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/did not answer at boot/);
      expectNoSecret(everythingAbout(error));
      expect(logger.lines.length).toBeGreaterThan(0);
      expectNoSecret(logger.lines.join('\n'));
    },
  );

  it.each(boots)(
    '%s, with waitForConnection: false: the warning and the shutdown are free of it',
    async (_label, options) => {
      const logger = new CapturingLogger();
      const app = await Test.createTestingModule({
        imports: [
          KvStoreModule.forRoot({ ...options(), waitForConnection: false } as KvStoreModuleOptions),
        ],
      })
        .setLogger(logger)
        .compile();
      try {
        await app.init();
        const store = app.get(KvStore);
        const error = await failureOf(() => store.get('k'));
        expect(error).toBeInstanceOf(ConnectionError);
        expectNoSecret(everythingAbout(error));
        await waitUntil(
          () => logger.lines.some((line) => line.includes('not reachable yet')),
          5000,
          'the unreachable-store warning',
        );
      } finally {
        await app.close();
      }
      expectNoSecret(logger.lines.join('\n'));
    },
  );
});
