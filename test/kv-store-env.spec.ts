import { InvalidOptionsError, KV_STORE_ENV, kvStoreOptionsFromEnv } from '../lib/index.js';

describe('kvStoreOptionsFromEnv', () => {
  it('gives the default in-memory store when no variable is set', () => {
    expect(kvStoreOptionsFromEnv({})).toEqual({ type: 'memory' });
  });

  it('reads every memory variable', () => {
    expect(
      kvStoreOptionsFromEnv({
        KV_STORE_TYPE: 'memory',
        KV_DEFAULT_TTL: '300',
        KV_SERIALIZER: 'rich',
        KV_MAX_ENTRIES: '10000',
      }),
    ).toEqual({ type: 'memory', defaultTtl: 300, serializer: 'rich', maxEntries: 10000 });
  });

  it('reads every redis variable, and picks redis when only KV_REDIS_URL is set', () => {
    const env = {
      KV_REDIS_URL: 'redis://:secret@cache.internal:6380/2',
      KV_REDIS_TIMEOUT: '2.5',
      KV_KEY_PREFIX: 'crawler:',
      KV_DEFAULT_TTL: '0.5',
      KV_SERIALIZER: 'pickle',
    };
    const expected = {
      type: 'redis',
      url: 'redis://:secret@cache.internal:6380/2',
      timeout: 2.5,
      keyPrefix: 'crawler:',
      defaultTtl: 0.5,
      serializer: 'pickle',
    };
    expect(kvStoreOptionsFromEnv(env)).toEqual(expected);
    expect(kvStoreOptionsFromEnv({ ...env, KV_STORE_TYPE: 'redis' })).toEqual(expected);
  });

  it('treats empty and blank values as unset', () => {
    expect(
      kvStoreOptionsFromEnv({ KV_STORE_TYPE: '', KV_DEFAULT_TTL: '  ', KV_REDIS_URL: '' }),
    ).toEqual({
      type: 'memory',
    });
  });

  it('reads through a getter function or an object with get(), such as ConfigService', () => {
    const values: Record<string, unknown> = {
      KV_STORE_TYPE: 'memory',
      KV_MAX_ENTRIES: 5,
      KV_DEFAULT_TTL: 60,
    };
    expect(kvStoreOptionsFromEnv((name) => values[name])).toEqual({
      type: 'memory',
      maxEntries: 5,
      defaultTtl: 60,
    });
    expect(kvStoreOptionsFromEnv({ get: (name: string) => values[name] })).toEqual({
      type: 'memory',
      maxEntries: 5,
      defaultTtl: 60,
    });
  });

  it('reads process.env when given nothing', () => {
    const saved = process.env[KV_STORE_ENV.maxEntries];
    process.env[KV_STORE_ENV.maxEntries] = '7';
    try {
      expect(kvStoreOptionsFromEnv()).toMatchObject({ maxEntries: 7 });
    } finally {
      if (saved === undefined) delete process.env[KV_STORE_ENV.maxEntries];
      else process.env[KV_STORE_ENV.maxEntries] = saved;
    }
  });

  describe('rejects a bad value with a message naming the variable and the accepted values', () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      [
        'an unknown store type',
        { KV_STORE_TYPE: 'mem' },
        'Environment variable KV_STORE_TYPE must be one of memory, redis; got "mem"',
      ],
      [
        'an unknown serializer',
        { KV_SERIALIZER: 'yaml' },
        'Environment variable KV_SERIALIZER must be one of json, rich, pickle; got "yaml"',
      ],
      [
        'a TTL with a unit',
        { KV_DEFAULT_TTL: '5m' },
        'Environment variable KV_DEFAULT_TTL must be a positive number of seconds such as 30 or 0.5; got "5m"',
      ],
      [
        'a zero TTL',
        { KV_DEFAULT_TTL: '0' },
        'Environment variable KV_DEFAULT_TTL must be a positive number of seconds such as 30 or 0.5; got "0"',
      ],
      [
        'a negative timeout',
        { KV_REDIS_TIMEOUT: '-1', KV_STORE_TYPE: 'redis' },
        'Environment variable KV_REDIS_TIMEOUT must be a positive number of seconds such as 30 or 0.5; got "-1"',
      ],
      [
        'a fractional entry count',
        { KV_MAX_ENTRIES: '1.5' },
        'Environment variable KV_MAX_ENTRIES must be a positive integer such as 10000; got "1.5"',
      ],
      [
        'a redis variable with the memory store',
        { KV_STORE_TYPE: 'memory', KV_REDIS_URL: 'redis://x' },
        'Environment variable KV_REDIS_URL does not apply to KV_STORE_TYPE=memory; unset it or set KV_STORE_TYPE to redis',
      ],
      [
        'memory variables with the redis store',
        { KV_STORE_TYPE: 'redis', KV_MAX_ENTRIES: '3' },
        'Environment variable KV_MAX_ENTRIES does not apply to KV_STORE_TYPE=redis; unset it or set KV_STORE_TYPE to memory',
      ],
    ];
    it.each(cases)('%s', (_label, env, message) => {
      expect(() => kvStoreOptionsFromEnv(env)).toThrow(new InvalidOptionsError(message));
    });

    it('a URL that is not redis://, without echoing it (it may hold a password)', () => {
      const attempt = (): unknown =>
        kvStoreOptionsFromEnv({ KV_REDIS_URL: 'http://user:hunter2@host' });
      expect(attempt).toThrow(/KV_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(attempt).not.toThrow(/hunter2/);
    });

    it('a value that is not text', () => {
      expect(() => kvStoreOptionsFromEnv(() => ({ nested: true }))).toThrow(
        /^Environment variable KV_DEFAULT_TTL must be text \(a string, number or boolean\); got /,
      );
    });
  });
});
