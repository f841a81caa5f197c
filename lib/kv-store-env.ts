import { InvalidOptionsError } from './core/errors.js';
import { describeValue } from './core/describe-value.js';
import type { MemoryStoreOptions } from './memory/memory-store-options.js';
import type { RedisStoreOptions } from './redis/options/redis-store-options.js';
import type { SerializerName } from './serializers/serializer.js';

/** The environment variables `kvStoreOptionsFromEnv` reads. */
export const KV_STORE_ENV = {
  /** `memory` or `redis`; default `redis` when `KV_REDIS_URL` is set, otherwise `memory`. */
  type: 'KV_STORE_TYPE',
  /** `redis://` or `rediss://` URL; unset: `localhost:6379`, db 0, no password. */
  redisUrl: 'KV_REDIS_URL',
  /** Seconds for connecting and for each command (default 10). */
  redisTimeout: 'KV_REDIS_TIMEOUT',
  /** Prefix of every Redis key (default `data_fetcher:`). */
  keyPrefix: 'KV_KEY_PREFIX',
  /** Seconds for writes that give no TTL (default: never expire). */
  defaultTtl: 'KV_DEFAULT_TTL',
  /** `json` (default), `rich` or `pickle`. */
  serializer: 'KV_SERIALIZER',
  /** Least-recently-used bound of the memory store (default: unbounded). */
  maxEntries: 'KV_MAX_ENTRIES',
  /** Positive integer: turns on the Redis store's near cache with this bound (default off). */
  nearCacheMaxEntries: 'KV_NEAR_CACHE_MAX_ENTRIES',
  /** Bytes of values the near cache holds at most (default unbounded); needs the variable above. */
  nearCacheMaxBytes: 'KV_NEAR_CACHE_MAX_BYTES',
  /** Seconds a near-cache copy is served at most (default 30); needs `KV_NEAR_CACHE_MAX_ENTRIES`. */
  nearCacheMaxAge: 'KV_NEAR_CACHE_MAX_AGE',
  /** `true` turns on the Redis store's circuit breaker (default `false`). */
  circuitBreaker: 'KV_REDIS_CIRCUIT_BREAKER',
  /** Failures in a row that open the breaker (default 5); needs `KV_REDIS_CIRCUIT_BREAKER=true`. */
  circuitBreakerFailures: 'KV_REDIS_CIRCUIT_BREAKER_FAILURES',
  /** Seconds the breaker stays open (default 5); needs `KV_REDIS_CIRCUIT_BREAKER=true`. */
  circuitBreakerDuration: 'KV_REDIS_CIRCUIT_BREAKER_DURATION',
} as const;

/**
 * Where variables come from: a record such as `process.env`, a getter `(name) => value`, or an
 * object with `get(name)` such as `@nestjs/config`'s `ConfigService`. Unset, `null` and empty
 * values all mean "not set"; numbers and booleans are read as their text.
 */
export type KvStoreEnvSource =
  | Readonly<Record<string, string | undefined>>
  | ((name: string) => unknown)
  | {
      /** The value of variable `name`, or undefined/null when unset. */
      get(name: string): unknown;
    };

/** What the helper builds: options of the memory or the Redis store, for `forRoot`/`createStore`. */
export type KvStoreEnvOptions =
  | ({
      /** The in-memory store. */
      type: 'memory';
    } & Pick<MemoryStoreOptions, 'defaultTtl' | 'serializer' | 'maxEntries'>)
  | ({
      /** The Redis store. */
      type: 'redis';
    } & Pick<
      RedisStoreOptions,
      'url' | 'timeout' | 'keyPrefix' | 'defaultTtl' | 'serializer' | 'nearCache' | 'circuitBreaker'
    >);

const TYPES = ['memory', 'redis'] as const;
const SERIALIZERS: readonly SerializerName[] = ['json', 'rich', 'pickle'];
const REDIS_ONLY = [
  KV_STORE_ENV.redisUrl,
  KV_STORE_ENV.redisTimeout,
  KV_STORE_ENV.keyPrefix,
  KV_STORE_ENV.nearCacheMaxEntries,
  KV_STORE_ENV.nearCacheMaxBytes,
  KV_STORE_ENV.nearCacheMaxAge,
  KV_STORE_ENV.circuitBreaker,
  KV_STORE_ENV.circuitBreakerFailures,
  KV_STORE_ENV.circuitBreakerDuration,
];
const MEMORY_ONLY = [KV_STORE_ENV.maxEntries];

/**
 * Builds store options from environment variables:
 *
 * | Variable | Values | Store |
 * | --- | --- | --- |
 * | `KV_STORE_TYPE` | `memory` or `redis`; default `redis` when `KV_REDIS_URL` is set, else `memory` | both |
 * | `KV_REDIS_URL` | `redis://[user[:password]@]host[:port][/db]` or `rediss://…` | redis |
 * | `KV_REDIS_TIMEOUT` | seconds > 0 for connecting and each command (default 10) | redis |
 * | `KV_KEY_PREFIX` | prefix of every key (default `data_fetcher:`) | redis |
 * | `KV_DEFAULT_TTL` | seconds > 0 for writes without a TTL (default: never expire) | both |
 * | `KV_SERIALIZER` | `json` (default), `rich` or `pickle` (alias of `rich`) | both |
 * | `KV_MAX_ENTRIES` | positive integer, LRU bound (default unbounded) | memory |
 * | `KV_NEAR_CACHE_MAX_ENTRIES` | positive integer: turns the near cache on with this bound (default off) | redis |
 * | `KV_NEAR_CACHE_MAX_BYTES` | positive integer: bytes of values the near cache holds (default unbounded) | redis |
 * | `KV_NEAR_CACHE_MAX_AGE` | seconds > 0 a near-cache copy is served at most (default 30) | redis |
 * | `KV_REDIS_CIRCUIT_BREAKER` | `true` or `false` (default): the circuit breaker | redis |
 * | `KV_REDIS_CIRCUIT_BREAKER_FAILURES` | positive integer: failures in a row that open it (default 5) | redis |
 * | `KV_REDIS_CIRCUIT_BREAKER_DURATION` | seconds > 0 it stays open (default 5) | redis |
 *
 * The near-cache bounds need `KV_NEAR_CACHE_MAX_ENTRIES`, which turns the near cache on; the
 * circuit breaker's settings need `KV_REDIS_CIRCUIT_BREAKER=true`. A malformed value, a setting
 * without the variable it needs, or a variable of the other backend than `KV_STORE_TYPE`, throws
 * `InvalidOptionsError` naming the variable and the accepted values (never echoing a URL, which
 * may hold a password). `kvStoreOptionsFromEnv()` reads `process.env`;
 * `kvStoreOptionsFromEnv(configService)` reads through `@nestjs/config`.
 */
export function kvStoreOptionsFromEnv(env: KvStoreEnvSource = process.env): KvStoreEnvOptions {
  const read = reader(env);
  const common = {
    defaultTtl: readSeconds(read, KV_STORE_ENV.defaultTtl),
    serializer: readOneOf(read, KV_STORE_ENV.serializer, SERIALIZERS),
  };
  const url = read(KV_STORE_ENV.redisUrl);
  const type =
    readOneOf(read, KV_STORE_ENV.type, TYPES) ?? (url === undefined ? 'memory' : 'redis');
  if (type === 'memory') {
    rejectOtherBackend(read, REDIS_ONLY, type);
    return withoutUndefined({
      type,
      ...common,
      maxEntries: readPositiveInteger(read, KV_STORE_ENV.maxEntries),
    });
  }
  rejectOtherBackend(read, MEMORY_ONLY, type);
  if (url !== undefined && !/^rediss?:\/\/[^\s]+$/.test(url)) {
    throw new InvalidOptionsError(
      `Environment variable ${KV_STORE_ENV.redisUrl} must be a redis:// or rediss:// URL ` +
        '(redis://[user[:password]@]host[:port][/db]); the value is not shown as it may hold a password',
    );
  }
  const nearCacheMaxEntries = readPositiveInteger(read, KV_STORE_ENV.nearCacheMaxEntries);
  const nearCacheBounds = withoutUndefined({
    maxBytes: readPositiveInteger(read, KV_STORE_ENV.nearCacheMaxBytes),
    maxAge: readSeconds(read, KV_STORE_ENV.nearCacheMaxAge),
  });
  if (nearCacheMaxEntries === undefined && Object.keys(nearCacheBounds).length > 0) {
    const set = [KV_STORE_ENV.nearCacheMaxBytes, KV_STORE_ENV.nearCacheMaxAge].filter(
      (name) => read(name) !== undefined,
    );
    throw new InvalidOptionsError(
      `Environment variable ${set.join(', ')} needs ${KV_STORE_ENV.nearCacheMaxEntries}, which turns the near cache on`,
    );
  }
  return withoutUndefined({
    type,
    ...common,
    circuitBreaker: readCircuitBreaker(read),
    url,
    timeout: readSeconds(read, KV_STORE_ENV.redisTimeout),
    keyPrefix: read(KV_STORE_ENV.keyPrefix),
    nearCache:
      nearCacheMaxEntries === undefined
        ? undefined
        : { maxEntries: nearCacheMaxEntries, ...nearCacheBounds },
  });
}

type Read = (name: string) => string | undefined;

/** The `circuitBreaker` option from its three variables; undefined when none is set. */
function readCircuitBreaker(read: Read): RedisStoreOptions['circuitBreaker'] {
  const on = readOneOf(read, KV_STORE_ENV.circuitBreaker, ['true', 'false'] as const);
  const settings = withoutUndefined({
    failures: readPositiveInteger(read, KV_STORE_ENV.circuitBreakerFailures),
    duration: readSeconds(read, KV_STORE_ENV.circuitBreakerDuration),
  });
  if (on !== 'true' && Object.keys(settings).length > 0) {
    const set = [KV_STORE_ENV.circuitBreakerFailures, KV_STORE_ENV.circuitBreakerDuration].filter(
      (name) => read(name) !== undefined,
    );
    throw new InvalidOptionsError(
      `Environment variable ${set.join(', ')} needs ${KV_STORE_ENV.circuitBreaker}=true, which turns the circuit breaker on`,
    );
  }
  if (on === undefined) return undefined;
  return on === 'true' && Object.keys(settings).length > 0 ? settings : on === 'true';
}

function reader(env: KvStoreEnvSource): Read {
  const lookup: (name: string) => unknown =
    typeof env === 'function'
      ? env
      : typeof env.get === 'function'
        ? (name) => (env as { get(name: string): unknown }).get(name)
        : (name) => (env as Readonly<Record<string, unknown>>)[name];
  return (name) => {
    const value = lookup(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidOptionsError(
        `Environment variable ${name} must be text (a string, number or boolean); got ${describeValue(value)}`,
      );
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
}

function readOneOf<T extends string>(
  read: Read,
  name: string,
  accepted: readonly T[],
): T | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  if ((accepted as readonly string[]).includes(value)) return value as T;
  throw new InvalidOptionsError(
    `Environment variable ${name} must be one of ${accepted.join(', ')}; got ${JSON.stringify(value)}`,
  );
}

function readSeconds(read: Read, name: string): number | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (seconds > 0) return seconds;
  throw new InvalidOptionsError(
    `Environment variable ${name} must be a positive number of seconds such as 30 or 0.5; got ${JSON.stringify(value)}`,
  );
}

function readPositiveInteger(read: Read, name: string): number | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(count) && count > 0) return count;
  throw new InvalidOptionsError(
    `Environment variable ${name} must be a positive integer such as 10000; got ${JSON.stringify(value)}`,
  );
}

/** A variable of the other backend is a configuration mistake worth failing the boot for. */
function rejectOtherBackend(read: Read, names: readonly string[], type: string): void {
  const set = names.filter((name) => read(name) !== undefined);
  if (set.length === 0) return;
  throw new InvalidOptionsError(
    `${set.length === 1 ? 'Environment variable' : 'Environment variables'} ${set.join(', ')} ` +
      `${set.length === 1 ? 'does' : 'do'} not apply to ${KV_STORE_ENV.type}=${type}; ` +
      `unset ${set.length === 1 ? 'it' : 'them'} or set ${KV_STORE_ENV.type} to ${type === 'memory' ? 'redis' : 'memory'}`,
  );
}

/** Drops unset options so the store applies its own defaults. */
function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as T;
}
