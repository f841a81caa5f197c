import type { ParseArgsConfig } from 'node:util';
import { createStore } from '../create-store.js';
import type { KvStore } from '../core/kv-store.js';
import { KV_STORE_ENV, kvStoreOptionsFromEnv } from '../kv-store-env.js';
import { REDIS_DEFAULTS } from '../redis/options/redis-defaults.js';
import type { RedisStoreOptions } from '../redis/options/redis-store-options.js';
import { RedisStore } from '../redis/redis-store.js';
import type { SerializerName } from '../serializers/serializer.js';
import { redactUrl } from './redact.js';
import { UsageError } from './usage-error.js';

/** Parsed flag values as `node:util` `parseArgs` returns them. */
export type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Options of a Redis store as the CLI opens it. */
export type CliStoreOptions = { type: 'redis' } & RedisStoreOptions;

/** Flags that say which store to open; `copy` adds `--from-*` and `--to-*` variants. */
export const STORE_FLAGS = {
  url: { type: 'string' },
  'key-prefix': { type: 'string' },
  serializer: { type: 'string' },
  timeout: { type: 'string' },
  // Retired spellings: parsed only to be refused with the new names (see retiredFlag).
  prefix: { type: 'string' },
  'from-prefix': { type: 'string' },
  'to-prefix': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Help text of {@link STORE_FLAGS}. */
export const STORE_FLAGS_HELP = `Store (flags win over environment variables):
  --url URL            redis://[user[:password]@]host[:port][/db] or rediss://...  [KV_REDIS_URL]
  --key-prefix TEXT    key prefix of the store (default data_fetcher:)             [KV_KEY_PREFIX]
  --serializer NAME    json (default), rich or pickle                              [KV_SERIALIZER]
  --timeout SECONDS    connect and command timeout (default 10)                    [KV_REDIS_TIMEOUT]`;

const SERIALIZERS: readonly SerializerName[] = ['json', 'rich', 'pickle'];

/**
 * Store options from the environment (the variables of `kvStoreOptionsFromEnv`), overridden by
 * the flags `--url`, `--key-prefix`, `--serializer`, `--timeout`, overridden in turn by the flags
 * with `side` before them (`--from-url`...). The CLI only opens Redis stores: an in-memory store
 * would vanish with the process.
 */
export function storeOptionsFrom(
  values: FlagValues,
  env: Readonly<Record<string, string | undefined>>,
  side?: 'from' | 'to',
): CliStoreOptions {
  for (const retired of ['prefix', 'from-prefix', 'to-prefix']) {
    if (values[retired] !== undefined) throw retiredPrefixFlag(retired);
  }
  const flag = (name: string): string | undefined =>
    stringFlag(values, side ? `${side}-${name}` : name) ??
    (side ? stringFlag(values, name) : undefined);
  const url = flag('url');
  const declared = env[KV_STORE_ENV.type]?.trim();
  if (url === undefined && declared !== undefined && declared !== '' && declared !== 'redis') {
    throw new UsageError(
      `${KV_STORE_ENV.type}=${declared}: kv-store works on Redis stores only (an in-memory store ends with its process)`,
    );
  }
  // The variables are read as for a Redis store whatever KV_STORE_TYPE says (checked above).
  const fromEnv = kvStoreOptionsFromEnv((name) =>
    name === KV_STORE_ENV.type ? 'redis' : env[name],
  );
  if (fromEnv.type !== 'redis') throw new UsageError('kv-store works on Redis stores only');
  const options: CliStoreOptions = { ...fromEnv };
  if (url !== undefined) options.url = url;
  const prefix = flag('key-prefix');
  if (prefix !== undefined) options.keyPrefix = prefix;
  const serializer = flag('serializer');
  if (serializer !== undefined) {
    if (!(SERIALIZERS as readonly string[]).includes(serializer)) {
      throw new UsageError(
        `--${side ? `${side}-` : ''}serializer must be one of ${SERIALIZERS.join(', ')}; got ${JSON.stringify(serializer)}`,
      );
    }
    options.serializer = serializer as SerializerName;
  }
  const timeout = flag('timeout');
  if (timeout !== undefined) options.timeout = positiveSeconds(timeout, '--timeout');
  if (options.url === undefined) {
    const flagName = side ? `--${side}-url or --url` : '--url';
    throw new UsageError(
      `no Redis store given: pass ${flagName} redis://host:port or set ${KV_STORE_ENV.redisUrl}`,
    );
  }
  return options;
}

/** How a store is named in summaries: its URL without password, and its key prefix. */
export function describeStoreTarget(options: CliStoreOptions): string {
  const prefix = JSON.stringify(options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix);
  return `${redactUrl(options.url ?? 'redis://localhost:6379')} (key prefix ${prefix})`;
}

/**
 * `--prefix` set the store's key prefix while `--keys` and range's PREFIX select keys, so
 * `export --prefix user:` exported nothing and said nothing; the old spelling is refused.
 */
function retiredPrefixFlag(name: string): UsageError {
  const side = name === 'prefix' ? '' : name.slice(0, name.indexOf('-') + 1);
  return new UsageError(
    `--${name} is no longer accepted: use --${side}key-prefix TEXT for the store's key prefix (${KV_STORE_ENV.keyPrefix}), or --keys TEXT for the keys that start with TEXT`,
  );
}

/**
 * Creates the store and waits until it is connected, so that an unreachable server fails fast
 * with a `ConnectionError` (exit code 3) instead of on the first command; closes it on failure.
 */
export async function connectStore(options: CliStoreOptions): Promise<KvStore> {
  const store = createStore(options);
  try {
    if (store instanceof RedisStore) await store.connect();
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** A string flag's value, or undefined when it was not given. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Parses a positive number of seconds given on the command line. */
export function positiveSeconds(text: string, what: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (seconds > 0) return seconds;
  throw new UsageError(
    `${what} must be a positive number of seconds such as 5 or 0.5; got ${JSON.stringify(text)}`,
  );
}

/** Parses a positive integer given on the command line. */
export function positiveInteger(text: string, what: string): number {
  const count = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(count) && count > 0) return count;
  throw new UsageError(`${what} must be a positive integer; got ${JSON.stringify(text)}`);
}

/** A positive integer flag, or undefined when it was not given. */
export function optionalInteger(text: string | undefined, what: string): number | undefined {
  return text === undefined ? undefined : positiveInteger(text, what);
}
